"""Pricing a cart on the till from the price book, while the edge cannot answer.

A small engine for what the book carries: the member's tier discount and member-day boosts. It prices
as the edge does (tests hold the two equal over generated carts): per line, the tier's basis points and
every boost that holds as one combined rate (at most 100%), rounded half up to the fen, then split
between the rules by their basis points with the largest remainder; boosts in one exclusive group are
chosen as the edge chooses them (most saving, then the one expiring first, then by id).

What the book does not carry (flash offers, coupons, order-level offers, caps) is not priced here: an
offline price can be above the edge's, and the edge records the difference as an exception.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from itertools import product

from ._book import BookMemberDay, BookSku, OfflineMember, PriceBook
from ._errors import FieldProblem, InvalidInputError
from ._types import Discount, Line, LineIn, PricedCart

BPS = 10_000
_FAR = "9999-12-31T23:59:59.999Z"


class OfflineQuote(PricedCart, kw_only=True):
    """A cart priced on the till from its price book; shown and charged like an edge's quote."""

    member: OfflineMember | None
    priced_at: str
    book_version: str
    unpriced_offers: list[str] = []  # the edge's offers this price could not apply (it may be lower)
    offline: bool = True


def bps_of(amount_fen: int, bps: int) -> int:
    """`bps` basis points of a non-negative amount, rounded half up to the fen."""
    return (amount_fen * bps + BPS // 2) // BPS


def spread(total_fen: int, weights: list[int]) -> list[int]:
    """Split `total_fen` by `weights` with the largest remainder; ties to the earlier part."""
    whole = sum(weights)
    if whole == 0:
        return [0] * len(weights)
    parts = [total_fen * w // whole for w in weights]
    short = total_fen - sum(parts)
    if short:
        remainders = [total_fen * w % whole for w in weights]
        for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:short]:
            parts[i] += 1
    return parts


def _hm(text: str) -> time:
    return time.fromisoformat(text)


def _in_window(start: str, end: str, local: datetime) -> bool:
    t, a, b = local.time(), _hm(start), _hm(end)
    return a <= t < b if a < b else (t >= a or t < b)


def _holds(rule: BookMemberDay, tier_id: str, local: datetime, day: date) -> bool:
    """The rule's conditions at this local moment, read as the edge reads them: weekdays and dates on
    the business day `day` (the night after a day still belongs to it), time windows on the clock."""
    if rule.tiers is not None and tier_id not in rule.tiers:
        return False
    if rule.weekdays is not None and day.isoweekday() not in rule.weekdays:
        return False
    today = day.isoformat()
    if rule.date_from is not None and today < rule.date_from:
        return False
    if rule.date_to is not None and today > rule.date_to:
        return False
    if rule.time_from is not None and rule.time_to is not None and not _in_window(rule.time_from, rule.time_to,
                                                                                  local):
        return False
    return True


def _scope(rule: BookMemberDay, items: Sequence[BookSku]) -> list[int]:
    if rule.skus is None and rule.categories is None:
        idx = list(range(len(items)))
    else:
        skus, cats = set(rule.skus or ()), set(rule.categories or ())
        idx = [i for i, item in enumerate(items) if item.sku in skus or item.category in cats]
    return [i for i in idx if items[i].member_discount]


def _line_parts(subtotal: int, rates: list[tuple[str, str, str, int]]) -> list[tuple[str, str, str, int]]:
    """One line's discounts: (rule id, zh, en, amount), the rates combined and split as the edge does."""
    if not rates:
        return []
    if len(rates) == 1:
        amount = bps_of(subtotal, min(BPS, rates[0][3]))
        return [(*rates[0][:3], amount)] if amount else []
    total = bps_of(subtotal, min(BPS, sum(r[3] for r in rates)))
    amounts = spread(total, [r[3] for r in rates])
    return [(*r[:3], a) for r, a in zip(rates, amounts, strict=True) if a]


def price_offline(book: PriceBook, lines: Sequence[LineIn], member: OfflineMember | None, now: datetime,
                  checkout_id: str) -> OfflineQuote:
    """Price the cart from the book at `now` (an aware datetime); an unknown SKU names its line."""
    items: list[BookSku] = []
    problems = []
    for i, line in enumerate(lines):
        item = book.sku(line.sku)
        if item is None:
            problems.append(FieldProblem(f"lines[{i}].sku", f"unknown SKU {line.sku!r}"))
        elif line.qty < 1:
            problems.append(FieldProblem(f"lines[{i}].qty", "at least 1"))
        else:
            items.append(item)
    if problems:
        raise InvalidInputError(status=422, title="Invalid input", detail=f"{problems[0].field}: {problems[0].reason}",
                                errors=problems)
    prices = [line.unit_price_fen if line.unit_price_fen is not None else item.price_fen
              for line, item in zip(lines, items, strict=True)]
    subtotals = [line.qty * p for line, p in zip(lines, prices, strict=True)]
    tier = book.tier(member.tier.tier_id) if member is not None else None
    local = now.astimezone(book.zone())
    day = business_day(book, now)

    boosts: list[tuple[BookMemberDay, list[int]]] = []
    if member is not None:
        for rule in sorted(book.member_days, key=lambda r: r.campaign_id):
            if not _holds(rule, member.tier.tier_id, local, day):
                continue
            idx = _scope(rule, items)
            if idx and sum(subtotals[i] for i in idx) >= rule.min_spend_fen:
                boosts.append((rule, idx))

    def parts_with(on: list[tuple[BookMemberDay, list[int]]]) -> list[list[tuple[str, str, str, int]]]:
        out = []
        for i, item in enumerate(items):
            rates = []
            if tier is not None and item.member_discount and tier.discount_bps:
                rates.append((f"tier:{tier.tier_id}", f"{tier.name_zh}折扣", f"{tier.name_en} discount",
                              tier.discount_bps))
            rates.extend((f"member_day:{r.campaign_id}", r.name_zh, r.name_en, r.boost_bps) for r, idx in on if i in idx)
            out.append(_line_parts(subtotals[i], rates))
        return out

    parts = parts_with(_choose(boosts, parts_with))
    priced: list[Line] = []
    totals: dict[str, list] = {}
    for line, item, price, subtotal, ds in zip(lines, items, prices, subtotals, parts, strict=True):
        discount = sum(d[3] for d in ds)
        for rid, zh, en, amount in ds:
            if rid in totals:
                totals[rid][2] += amount
            else:
                totals[rid] = [zh, en, amount]
        priced.append(Line(sku=line.sku, name_zh=item.name_zh, name_en=item.name_en, qty=line.qty, unit_price_fen=price,
                           subtotal_fen=subtotal, discount_fen=discount, total_fen=subtotal - discount,
                           discounts=[Discount(*d) for d in ds]))
    subtotal_fen = sum(subtotals)
    discount_fen = sum(x.discount_fen for x in priced)
    return OfflineQuote(checkout_id=checkout_id, lines=priced, subtotal_fen=subtotal_fen, discount_fen=discount_fen,
                        total_fen=subtotal_fen - discount_fen,
                        applied=[Discount(rid, e[0], e[1], e[2]) for rid, e in totals.items()], member=member,
                        priced_at=_iso(now), book_version=book.version, unpriced_offers=list(book.other_offers))


def _choose(boosts: list[tuple[BookMemberDay, list[int]]], parts_with) -> list[tuple[BookMemberDay, list[int]]]:  # noqa: ANN001
    """The boosts that are on: every one outside an exclusive group, and from each group the pick the
    edge makes (most saving; then the picks expiring first; then by id)."""
    groups: dict[str, list[tuple[BookMemberDay, list[int]]]] = {}
    free = []
    for b in boosts:
        (groups.setdefault(b[0].exclusive_group, []) if b[0].exclusive_group is not None else free).append(b)
    if not groups:
        return free
    best_key, best = None, free
    for combo in product(*([None, *groups[g]] for g in sorted(groups))):
        picked = [b for b in combo if b is not None]
        on = free + picked
        saving = sum(d[3] for ds in parts_with(on) for d in ds)
        key = (-saving, tuple(sorted(b[0].expires_at or _FAR for b in picked)),
               tuple(sorted(b[0].campaign_id for b in picked)))
        if best_key is None or key < best_key:
            best_key, best = key, on
    return sorted(best, key=lambda b: b[0].campaign_id)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def business_day(book: PriceBook, moment: datetime) -> date:
    """The store's business day `moment` falls on (before the day's start it is still yesterday)."""
    local = moment.astimezone(book.zone())
    start = _hm(book.business_day_start)
    return local.date() if local.time() >= start else date.fromordinal(local.date().toordinal() - 1)
