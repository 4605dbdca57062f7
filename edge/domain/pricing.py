"""Price a cart with campaigns: the pure engine. Every discount is named, half-up, in integer fen.

Order (DESIGN.md, Pricing):
1. item level: flash prices and unit offers, at most one offer per unit (the best for that unit;
   flash units limited by the SKU's surplus stock and the campaign's remaining cap);
2. tier discount in bps on lines that take member discounts, plus member-day boosts, as one
   combined rate per line (so a bigger earlier discount never makes the line dearer by a rounding);
3. order level: at most one non-stackable order offer, then stackable ones by priority; each
   spread over its lines by largest remainder.

Choosing: offers in the same exclusive group, and non-stackable order offers, exclude each other.
The engine tries every allowed combination (a handful in practice; bounded by MAX_COMBINATIONS,
beyond which each group keeps its best offer alone) and keeps the one that saves the customer
most; on a tie, the one whose chosen offers expire first. Notes in the answer say why.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time
from itertools import product
from zoneinfo import ZoneInfo

import msgspec

from .campaigns import (
    AmountOff,
    Campaign,
    Customer,
    FixedPrice,
    PercentOff,
    PointsMultiplier,
    conditions_hold,
    from_member_day_rule,
)
from .errors import Problems
from .models import CartLine, Discount, MemberDayRule, PricedCart, PricedLine, PricingMember, Sku, Tier
from .money import BPS, bps_of, spread

MAX_COMBINATIONS = 16  # combinations of exclusive-group picks tried exhaustively; beyond, coordinate ascent
_FAR = datetime.max.replace(tzinfo=UTC)
ORDER_GROUP = "(order)"  # the implicit group of non-stackable order-level offers


class Offer(msgspec.Struct, frozen=True, kw_only=True):
    """A campaign as one candidate for this cart: automatic, a shared code, or one coupon instance."""

    offer_id: str  # the campaign id, or "coupon:<code>" / "code:<code>"
    campaign: Campaign
    code: str | None = None  # what the sale consumes when this offer is used
    expires_at: datetime | None = None
    remaining: int | None = None  # uses left: orders, or units for flash; None = no cap


class Use(msgspec.Struct, frozen=True, kw_only=True):
    """An offer the priced cart uses: the sale records it against the campaign's caps."""

    offer_id: str
    campaign_id: str
    code: str | None
    units: int  # flash units sold at the offer (0 for other offers)
    amount_fen: int


class Note(msgspec.Struct, frozen=True, kw_only=True):
    offer_id: str
    name_zh: str
    name_en: str
    applied: bool
    reason: str


class Priced(msgspec.Struct, frozen=True, kw_only=True):
    cart: PricedCart
    uses: list[Use]
    points_multiplier_pct: int  # 100 = as the tier says; the best multiplier campaign otherwise
    notes: list[Note]


def resolve_lines(
    requested: list[tuple[str, int, int | None]], catalog: Mapping[str, Sku]
) -> list[CartLine]:
    """Turn (sku, qty, price override) into cart lines at catalog price; every unknown SKU is named."""
    problems = Problems()
    lines = []
    for i, (sku, qty, override) in enumerate(requested):
        item = catalog.get(sku)
        if item is None:
            problems.add(f"lines[{i}].sku", f"unknown SKU {sku!r}")
            continue
        lines.append(CartLine(sku, qty, item.price_fen if override is None else override))
    problems.raise_if_any()
    return lines


def member_day_applies(rule: MemberDayRule, member: PricingMember, now: datetime, tz: ZoneInfo) -> bool:
    """True when `now`, read in the store's zone, falls on one of the rule's weekdays for this tier."""
    if rule.tiers is not None and member.tier_id not in rule.tiers:
        return False
    return now.astimezone(tz).isoweekday() in rule.weekdays


def price_cart(
    lines: list[CartLine],
    catalog: Mapping[str, Sku],
    member: PricingMember | None,
    tiers: Mapping[str, Tier],
    member_days: list[MemberDayRule],
    now: datetime,
    tz: ZoneInfo,
) -> PricedCart:
    """The spine's entry point: tier discount and member-day boosts only, no other campaigns."""
    who = Customer(member_id=member.member_id, tier_id=member.tier_id) if member else Customer()
    offers = [Offer(offer_id=r.campaign_id, campaign=from_member_day_rule(r)) for r in member_days]
    return price_order(lines, catalog, who, tiers, offers, {}, now, tz).cart


# --- the engine ---------------------------------------------------------------------------------------

def _unit_saving(c: Campaign, unit_price: int) -> int:
    match c.benefit:
        case PercentOff(bps=bps):
            return bps_of(unit_price, bps)
        case AmountOff(fen=fen):
            return min(fen, unit_price)
        case FixedPrice(fen=fen):
            return max(0, unit_price - fen)
    return 0


def _expiry(o: Offer) -> datetime:
    return o.expires_at or _FAR


def _rule_id(o: Offer) -> str:
    return f"member_day:{o.campaign.campaign_id}" if o.campaign.kind == "member_day" else o.offer_id


class _Cart:
    """What every combination shares: the lines, who, and each offer's fit, computed once."""

    def __init__(self, lines: Sequence[CartLine], catalog: Mapping[str, Sku], who: Customer,
                 tiers: Mapping[str, Tier], flash_surplus: Mapping[str, int]) -> None:
        self.lines = lines
        self.items = [catalog[x.sku] for x in lines]
        self.subtotals = [x.qty * x.unit_price_fen for x in lines]
        self.all_lines = list(range(len(lines)))
        self.by_sku: dict[str, list[int]] = {}
        self.by_category: dict[str, list[int]] = {}
        for i, item in enumerate(self.items):
            self.by_sku.setdefault(item.sku, []).append(i)
            self.by_category.setdefault(item.category, []).append(i)
        self.tier = tiers.get(who.tier_id) if who.member_id is not None and who.tier_id else None
        self.flash_surplus = flash_surplus
        self.unit_fit: list[list[tuple[Offer, int]]] = [[] for _ in lines]  # per line: (offer, saving per unit)
        self.boosts: list[Offer] = []
        self.order_offers: list[Offer] = []
        self.scoped: dict[str, list[int]] = {}  # offer id -> indices of its lines
        self.scope_key: dict[str, tuple[int, ...]] = {}
        self.scope_keys: dict[tuple[int, ...], tuple[int, ...]] = {}
        self._ranked: list[tuple[list[tuple[Offer, int]], list[tuple[Offer, int]]]] | None = None
        self.stage_ids: frozenset[str] = frozenset()  # unit offers and boosts: what steps 1-2 depend on
        self._stage_cache: dict[frozenset[str], tuple] = {}
        self._tier_cache: dict[tuple, list] = {}


def _ranked(cart: _Cart) -> list[tuple[list[tuple[Offer, int]], list[tuple[Offer, int]]]]:
    """Per line, its unit offers best first (plain, flash): the best one that is on is the first one on.
    Ties go to the offer expiring first, then the lower id, so input order never matters."""
    if cart._ranked is None:
        def order(x: tuple[Offer, int]) -> tuple:
            return (-x[1], _expiry(x[0]), x[0].offer_id)
        cart._ranked = [(sorted((x for x in fits if x[0].campaign.flash is None), key=order),
                         sorted((x for x in fits if x[0].campaign.flash is not None), key=order))
                        for fits in cart.unit_fit]
    return cart._ranked


def _scope_lines(cart: _Cart, c: Campaign) -> list[int]:
    """Indices of the lines in the campaign's scope, through the cart's SKU and category indexes."""
    sc = c.scope
    if sc.skus is None and sc.categories is None:
        return cart.all_lines
    found: set[int] = set()
    for sku in sc.skus or ():
        found.update(cart.by_sku.get(sku, ()))
    for category in sc.categories or ():
        found.update(cart.by_category.get(category, ()))
    return sorted(found)


def _fit(cart: _Cart, o: Offer) -> bool:
    """Place the offer where it fits this cart; False when it fits nowhere (scope, min spend, no saving)."""
    c = o.campaign
    idx = _scope_lines(cart, c)
    if isinstance(c.benefit, PercentOff) and c.kind == "member_day":
        idx = [i for i in idx if cart.items[i].member_discount]
    if not idx or sum(cart.subtotals[i] for i in idx) < c.conditions.min_spend_fen:
        return False
    cart.scoped[o.offer_id] = idx
    cart.scope_key[o.offer_id] = cart.scope_keys.setdefault(tuple(idx), tuple(idx))  # shared: sums are memoised
    if c.kind == "member_day":
        cart.boosts.append(o)
        return True
    if c.applies_to == "unit":
        fits = False
        for i in idx:
            saving = _unit_saving(c, cart.lines[i].unit_price_fen)
            if saving > 0 and (c.flash is None or cart.flash_surplus.get(cart.items[i].sku, 0) > 0):
                cart.unit_fit[i].append((o, saving))
                fits = True
        return fits
    cart.order_offers.append(o)
    return True


def _item_step(cart: _Cart, on: frozenset[str]) -> tuple[list[list[tuple[Offer, int, int]]], list[int]]:
    """Per line: (offer, units, amount) at item level, and what remains of each line after it."""
    plain: list[tuple[Offer, int] | None] = []
    gains: list[tuple[int, int, str, Offer, int]] = []  # flash units go where they beat the plain offer most
    ranked = _ranked(cart)
    for i, (plains, flashes) in enumerate(ranked):
        best = next((x for x in plains if x[0].offer_id in on), None)
        best_flash = next((x for x in flashes if x[0].offer_id in on), None)
        plain.append(best)
        base = best[1] if best else 0
        if best_flash is not None and best_flash[1] > base:
            gains.append((best_flash[1] - base, i, best_flash[0].offer_id, best_flash[0], best_flash[1]))
    surplus = dict(cart.flash_surplus)
    left: dict[str, int | None] = {}
    flash_units = [0] * len(cart.lines)
    flash_pick: list[tuple[Offer, int] | None] = [None] * len(cart.lines)
    for _, i, oid, o, saving in sorted(gains, key=lambda g: (-g[0], g[1])):
        sku = cart.items[i].sku
        cap = left.get(oid, o.remaining)
        n = min(cart.lines[i].qty, surplus.get(sku, 0), cap if cap is not None else cart.lines[i].qty)
        if n <= 0:
            continue
        surplus[sku] -= n
        left[oid] = None if cap is None else cap - n
        flash_units[i], flash_pick[i] = n, (o, saving)
    per_line: list[list[tuple[Offer, int, int]]] = []
    remaining: list[int] = []
    for i, line in enumerate(cart.lines):
        parts = []
        if flash_pick[i] is not None:
            o, saving = flash_pick[i]  # type: ignore[misc]
            parts.append((o, flash_units[i], saving * flash_units[i]))
        rest = line.qty - flash_units[i]
        if rest and plain[i] is not None:
            o, saving = plain[i]  # type: ignore[misc]
            parts.append((o, rest, saving * rest))
        per_line.append(parts)
        remaining.append(cart.subtotals[i] - sum(p[2] for p in parts))
    return per_line, remaining


def _tier_step(cart: _Cart, on: frozenset[str], remaining: list[int]) -> list[list[tuple[str, Offer | None, int]]]:
    """Per line: the tier discount and member-day boosts, one combined rate, split by their bps."""
    out: list[list[tuple[str, Offer | None, int]]] = []
    boosts = [o for o in cart.boosts if o.offer_id in on and isinstance(o.campaign.benefit, PercentOff)]
    boost_ids = tuple(o.offer_id for o in boosts)
    for i, item in enumerate(cart.items):
        memo = (i, remaining[i], boost_ids)  # most lines keep their amount from one combination to the next
        hit = cart._tier_cache.get(memo)
        if hit is not None:
            out.append(hit)
            continue
        rates: list[tuple[str, Offer | None, int]] = []
        if cart.tier is not None and item.member_discount and cart.tier.discount_bps:
            rates.append((f"tier:{cart.tier.tier_id}", None, cart.tier.discount_bps))
        for o in boosts:
            if i in cart.scoped[o.offer_id]:
                rates.append((_rule_id(o), o, o.campaign.benefit.bps))  # type: ignore[union-attr]
        parts = []
        if rates:
            total = bps_of(remaining[i], min(BPS, sum(r[2] for r in rates)))
            amounts = spread(total, [r[2] for r in rates])
            parts = [(rid, o, a) for (rid, o, _), a in zip(rates, amounts, strict=True) if a]
        cart._tier_cache[memo] = parts
        out.append(parts)
    return out


def _order_amount(o: Offer, base: int) -> int:
    match o.campaign.benefit:
        case PercentOff(bps=bps):
            return bps_of(base, bps)
        case AmountOff(fen=fen):
            return min(fen, base)
    return 0


def _order_step(cart: _Cart, chain: list[Offer], remaining: list[int]) -> tuple[list[tuple[Offer, list[int]]], int]:
    """Apply order offers in turn, each spread over its lines; return the parts and the total taken."""
    left = list(remaining)
    parts = []
    taken = 0
    for o in chain:
        idx = cart.scoped[o.offer_id]
        amount = _order_amount(o, sum(left[i] for i in idx))
        if amount <= 0:
            continue
        share = spread(amount, [left[i] for i in idx])
        by_line = [0] * len(left)
        for i, a in zip(idx, share, strict=True):
            by_line[i] = a
            left[i] -= a
        parts.append((o, by_line))
        taken += amount
    return parts, taken


class _Outcome:
    __slots__ = ("saving", "key", "items", "tiers", "orders")

    def __init__(self, saving, key, items, tiers, orders) -> None:  # noqa: ANN001
        self.saving, self.key, self.items, self.tiers, self.orders = saving, key, items, tiers, orders


def _stage(cart: _Cart, on: frozenset[str]):  # noqa: ANN202
    """Steps 1 and 2 for the unit offers and boosts that are on: (items, tiers, what each line has left)."""
    key = on & cart.stage_ids
    hit = cart._stage_cache.get(key)
    if hit is None:
        items, remaining = _item_step(cart, key)
        tiers = _tier_step(cart, key, remaining)
        after = [r - sum(a for _, _, a in t) for r, t in zip(remaining, tiers, strict=True)]
        hit = cart._stage_cache[key] = (items, tiers, after)
    return hit


def _chain_taken(cart: _Cart, chain: list[Offer], after: list[int]) -> int:
    """What an order chain takes off; offers over the whole cart need no spreading to know it."""
    total, taken = sum(after), 0
    for o in chain:
        idx = cart.scoped[o.offer_id]
        if len(idx) == len(after):
            base = total - taken
        elif taken == 0:  # nothing spread yet: the lines still hold what steps 1-2 left
            base = sum(after[i] for i in idx)
        else:
            return _order_step(cart, chain, after)[1]
        taken += _order_amount(o, base)
    return taken


def _key(saving: int, chosen: list[Offer]) -> tuple:
    """Best for the customer first; on a tie the combination whose offers expire first; then by id."""
    return (-saving, tuple(sorted(_expiry(o) for o in chosen)), tuple(sorted(o.offer_id for o in chosen)))


def _evaluate(cart: _Cart, on: frozenset[str], order_chain: list[Offer], chosen: list[Offer]) -> _Outcome:
    items, tiers, after = _stage(cart, on)
    orders, order_taken = _order_step(cart, order_chain, after)
    saving = sum(cart.subtotals) - sum(after) + order_taken
    return _Outcome(saving, _key(saving, chosen), items, tiers, orders)


def price_with(cart_lines: Sequence[CartLine], catalog: Mapping[str, Sku], who: Customer,
               tiers: Mapping[str, Tier], offers: Sequence[Offer], flash_surplus: Mapping[str, int],
               now: datetime, tz: ZoneInfo, store_id: str | None = None,
               business_day_start: time = time(4, 0)) -> tuple[_Cart, list[Offer]]:
    """The cart and the offers that fit it (conditions, caps, scope, min spend), by offer id."""
    cart = _Cart(cart_lines, catalog, who, tiers, flash_surplus)
    local = now.astimezone(tz)
    fitting: dict[str, Offer] = {}
    for o in sorted(offers, key=lambda x: x.offer_id):
        if o.offer_id in fitting or (o.remaining is not None and o.remaining <= 0):
            continue
        if isinstance(o.campaign.benefit, PointsMultiplier):
            if conditions_hold(o.campaign, who, local, store_id, business_day_start):
                fitting[o.offer_id] = o
            continue
        if conditions_hold(o.campaign, who, local, store_id, business_day_start) and _fit(cart, o):
            fitting[o.offer_id] = o
    cart.stage_ids = frozenset(o.offer_id for fits in cart.unit_fit for o, _ in fits) | frozenset(
        o.offer_id for o in cart.boosts)
    return cart, list(fitting.values())


def _groups(offers: list[Offer]) -> dict[str, list[Offer]]:
    groups: dict[str, list[Offer]] = {}
    for o in offers:
        st = o.campaign.stacking
        if st.exclusive_group is not None:
            groups.setdefault("group:" + st.exclusive_group, []).append(o)
        if o.campaign.applies_to == "order" and o.campaign.kind != "member_day" and not st.stackable \
                and not isinstance(o.campaign.benefit, PointsMultiplier):
            groups.setdefault(ORDER_GROUP, []).append(o)
    return groups


def _order_chain(cart: _Cart, chosen_ids: frozenset[str]) -> list[Offer]:
    chain = [o for o in cart.order_offers if o.offer_id in chosen_ids]
    first = [o for o in chain if not o.campaign.stacking.stackable]
    rest = sorted((o for o in chain if o.campaign.stacking.stackable),
                  key=lambda o: (-o.campaign.stacking.priority, o.offer_id))
    return first + rest


def evaluate_set(cart: _Cart, chosen: Sequence[Offer]) -> int:
    """The saving of exactly this set of fitting offers (for checks and the brute-force tests)."""
    on = frozenset(o.offer_id for o in chosen)
    return _evaluate(cart, on, _order_chain(cart, on), list(chosen)).saving


def allowed(offers: Sequence[Offer]) -> bool:
    """True when no two offers share an exclusive group and at most one non-stackable order offer."""
    for members in _groups(list(offers)).values():
        if len(members) > 1:
            return False
    return True


class _Search:
    """Finds the best allowed combination: exclusive groups are enumerated, and for each choice the
    best order-level offer is found exactly, since steps 1-2 do not depend on it."""

    def __init__(self, cart: _Cart, pricing: list[Offer]) -> None:
        self.cart = cart
        groups = _groups(pricing)
        self.order_slot = groups.pop(ORDER_GROUP, [])
        self.groups = groups
        self.names = sorted(groups)
        self.grouped = {o.offer_id for members in groups.values() for o in members}
        slot = {o.offer_id for o in self.order_slot}
        self.free = frozenset(o.offer_id for o in pricing if o.offer_id not in self.grouped and o.offer_id not in slot)
        self.open_slot = [o for o in self.order_slot if o.offer_id not in self.grouped]
        self._memo: dict[tuple, tuple[tuple, list[Offer], frozenset[str]] | None] = {}

    def best_for(self, picks: tuple[Offer | None, ...]) -> tuple[tuple, list[Offer], frozenset[str]] | None:
        memo = tuple(o.offer_id if o is not None else None for o in picks)
        if memo not in self._memo:
            self._memo[memo] = self._best_for(picks)
        return self._memo[memo]

    def _best_for(self, picks: tuple[Offer | None, ...]) -> tuple[tuple, list[Offer], frozenset[str]] | None:
        picked = list({o.offer_id: o for o in picks if o is not None}.values())
        if not allowed(picked):
            return None
        on = self.free | frozenset(o.offer_id for o in picked)
        _, _, after = _stage(self.cart, on)
        chain = _order_chain(self.cart, on)
        fixed = [o for o in chain if not o.campaign.stacking.stackable]  # a grouped pick holds the order slot
        stackables = [o for o in chain if o.campaign.stacking.stackable]
        base = sum(self.cart.subtotals) - sum(after)
        candidates: list[Offer | None] = list(fixed) or [None, *self.open_slot]
        n = len(after)
        if not fixed and all(len(self.cart.scoped[o.offer_id]) == n for o in stackables):
            # stackables over the whole cart see only the total, and what is left after them never
            # rises when the first offer takes more: only the offers taking most can be best
            sums: dict[tuple[int, ...], int] = {}
            taken: dict[str | None, int] = {None: 0}
            for o in self.open_slot:
                idx = self.cart.scope_key[o.offer_id]
                if idx not in sums:
                    sums[idx] = sum(after[i] for i in idx)
                taken[o.offer_id] = _order_amount(o, sums[idx])
            top = max(taken.values())
            candidates = [c for c in candidates if taken[c.offer_id if c is not None else None] == top]
        best: tuple[tuple, list[Offer], frozenset[str]] | None = None
        for c in candidates:
            full = ([c] if c is not None else []) + stackables
            chosen = picked + ([c] if c is not None and not fixed else [])
            key = _key(base + _chain_taken(self.cart, full, after), chosen)
            if best is None or key < best[0]:
                best = (key, chosen, on | ({c.offer_id} if c is not None else frozenset()))
        return best

    def run(self) -> tuple[list[Offer], frozenset[str]]:
        options: list[list[Offer | None]] = [[None, *self.groups[g]] for g in self.names]
        count = 1
        for opts in options:
            count *= len(opts)
        best = self.best_for(tuple(None for _ in self.names))  # nothing from any group: always allowed
        assert best is not None
        if count <= MAX_COMBINATIONS:
            for combo in product(*options):
                found = self.best_for(combo)
                if found is not None and found[0] < best[0]:
                    best = found
        else:  # too many to try all: improve one group's pick at a time until no change helps
            picks: list[Offer | None] = [None] * len(self.names)
            for _ in range(len(self.names) + 1):
                changed = False
                for g, opts in enumerate(options):
                    for option in opts:
                        trial = list(picks)
                        trial[g] = option
                        found = self.best_for(tuple(trial))
                        if found is not None and found[0] < best[0]:
                            best, picks, changed = found, trial, True
                if not changed:
                    break
        return best[1], best[2]


def price_order(
    lines: Sequence[CartLine],
    catalog: Mapping[str, Sku],
    who: Customer,
    tiers: Mapping[str, Tier],
    offers: Sequence[Offer],
    flash_surplus: Mapping[str, int],
    now: datetime,
    tz: ZoneInfo,
    store_id: str | None = None,
    business_day_start: time = time(4, 0),
) -> Priced:
    """Price the cart with the best allowed combination of the offers; every discount explained."""
    cart, fitting = price_with(lines, catalog, who, tiers, offers, flash_surplus, now, tz, store_id,
                               business_day_start)
    multipliers = [o for o in fitting if isinstance(o.campaign.benefit, PointsMultiplier)]
    pricing = [o for o in fitting if not isinstance(o.campaign.benefit, PointsMultiplier)]
    chosen, on = _Search(cart, pricing).run()
    best = _evaluate(cart, on, _order_chain(cart, on), chosen)
    notes = _notes(cart, _groups(pricing), chosen, best)
    mult = max((o.campaign.benefit.pct for o in multipliers), default=100)  # type: ignore[union-attr]
    for o in multipliers:
        notes.append(Note(offer_id=o.offer_id, name_zh=o.campaign.name_zh, name_en=o.campaign.name_en,
                          applied=o.campaign.benefit.pct == mult,  # type: ignore[union-attr]
                          reason=f"points x{o.campaign.benefit.pct / 100:g}"))  # type: ignore[union-attr]
    return _assemble(cart, best, multipliers, mult, notes)


def _notes(cart: _Cart, groups: dict[str, list[Offer]], chosen: list[Offer], best: _Outcome) -> list[Note]:
    picked = {o.offer_id for o in chosen}
    notes = []
    for g in sorted(groups):
        winners = [o for o in groups[g] if o.offer_id in picked]
        for o in groups[g]:
            if o.offer_id in picked:
                continue
            label = "one order-level offer per order" if g == ORDER_GROUP else f"exclusive group {g[6:]}"
            if winners:
                w = winners[0]
                reason = f"{label}: {w.campaign.name_en} ({w.offer_id}) is better for the customer"
            else:
                reason = f"{label}: not used, it would not lower the total"
            notes.append(Note(offer_id=o.offer_id, name_zh=o.campaign.name_zh, name_en=o.campaign.name_en,
                              applied=False, reason=reason))
    for o in chosen:
        notes.append(Note(offer_id=o.offer_id, name_zh=o.campaign.name_zh, name_en=o.campaign.name_en,
                          applied=True, reason="best allowed combination for the customer"))
    return notes


def _assemble(cart: _Cart, best: _Outcome, multipliers: list[Offer], mult: int, notes: list[Note]) -> Priced:
    priced: list[PricedLine] = []
    totals: dict[str, list] = {}  # rule id -> [zh, en, amount, offer, units]

    def add(rule_id: str, o: Offer | None, zh: str, en: str, amount: int, units: int,
            into: list[Discount]) -> None:
        into.append(Discount(rule_id, zh, en, amount))
        entry = totals.setdefault(rule_id, [zh, en, 0, o, 0])
        entry[2] += amount
        entry[4] += units

    tier = cart.tier
    for i, line in enumerate(cart.lines):
        ds: list[Discount] = []
        for o, units, amount in best.items[i]:
            if amount:
                add(_rule_id(o), o, o.campaign.name_zh, o.campaign.name_en, amount,
                    units if o.campaign.flash is not None else 0, ds)
        for rid, o, amount in best.tiers[i]:
            if o is None:
                assert tier is not None
                add(rid, None, f"{tier.name_zh}折扣", f"{tier.name_en} discount", amount, 0, ds)
            else:
                add(rid, o, o.campaign.name_zh, o.campaign.name_en, amount, 0, ds)
        for o, by_line in best.orders:
            if by_line[i]:
                add(_rule_id(o), o, o.campaign.name_zh, o.campaign.name_en, by_line[i], 0, ds)
        discount = sum(d.amount_fen for d in ds)
        subtotal = cart.subtotals[i]
        priced.append(PricedLine(sku=line.sku, qty=line.qty, unit_price_fen=line.unit_price_fen,
                                 subtotal_fen=subtotal, discount_fen=discount, total_fen=subtotal - discount,
                                 discounts=ds))
    applied = [Discount(rid, e[0], e[1], e[2]) for rid, e in totals.items()]
    uses = [Use(offer_id=e[3].offer_id, campaign_id=e[3].campaign.campaign_id, code=e[3].code, units=e[4],
                amount_fen=e[2]) for e in totals.values() if e[3] is not None]
    for _, _, _, o, units in totals.values():
        if o is not None and units and o.campaign.flash is not None:
            notes.append(Note(offer_id=o.offer_id, name_zh=o.campaign.name_zh, name_en=o.campaign.name_en,
                              applied=True, reason=f"{units} unit(s) at the flash price, from the stock above "
                                                   f"the threshold of {o.campaign.flash.threshold}"))
    top = next((o for o in sorted(multipliers, key=lambda o: o.offer_id)
                if o.campaign.benefit.pct == mult), None)  # type: ignore[union-attr]
    if top is not None:
        uses.append(Use(offer_id=top.offer_id, campaign_id=top.campaign.campaign_id, code=top.code, units=0,
                        amount_fen=0))
    subtotal_fen = sum(p.subtotal_fen for p in priced)
    discount_fen = sum(p.discount_fen for p in priced)
    cart_out = PricedCart(lines=priced, subtotal_fen=subtotal_fen, discount_fen=discount_fen,
                          total_fen=subtotal_fen - discount_fen, applied=applied)
    return Priced(cart=cart_out, uses=uses, points_multiplier_pct=mult, notes=notes)
