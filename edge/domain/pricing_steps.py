"""The three pricing steps over one cart, for one set of offers that are on.

`pricing.price_order` decides which offers are on; this module says what a given set of them does:
1. item level (`item_step`): per unit the best unit offer; flash units where they gain most, within
   the SKU's surplus and the campaign's cap;
2. tier (`tier_step`): the tier discount and member-day boosts as one combined rate per line;
3. order level (`order_step`): each order offer in turn, spread over its lines by largest remainder.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import msgspec

from .campaigns import AmountOff, Campaign, Customer, FixedPrice, PercentOff
from .models import CartLine, Sku, Tier
from .money import BPS, bps_of, spread

_FAR = datetime.max.replace(tzinfo=UTC)


class Offer(msgspec.Struct, frozen=True, kw_only=True):
    """A campaign as one candidate for this cart: automatic, a shared code, or one coupon instance."""

    offer_id: str  # the campaign id, or "coupon:<code>" / "code:<code>"
    campaign: Campaign
    code: str | None = None  # what the sale consumes when this offer is used
    expires_at: datetime | None = None
    remaining: int | None = None  # uses left: orders, or units for flash; None = no cap



def unit_saving(c: Campaign, unit_price: int) -> int:
    match c.benefit:
        case PercentOff(bps=bps):
            return bps_of(unit_price, bps)
        case AmountOff(fen=fen):
            return min(fen, unit_price)
        case FixedPrice(fen=fen):
            return max(0, unit_price - fen)
    return 0


def expiry(o: Offer) -> datetime:
    return o.expires_at or _FAR


def rule_id(o: Offer) -> str:
    return f"member_day:{o.campaign.campaign_id}" if o.campaign.kind == "member_day" else o.offer_id


class CartState:
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
        # the tier's rate as step 2 applies it to a line that takes member discounts, named once per cart
        self.tier_rate: tuple[str, None, int] | None = (f"tier:{self.tier.tier_id}", None, self.tier.discount_bps) \
            if self.tier is not None and self.tier.discount_bps else None
        self.flash_surplus = flash_surplus
        self.unit_fit: list[list[tuple[Offer, int]]] = [[] for _ in lines]  # per line: (offer, saving per unit)
        self.any_unit_fit = False
        self.boosts: list[Offer] = []
        self.order_offers: list[Offer] = []
        self.scoped: dict[str, list[int]] = {}  # offer id -> indices of its lines
        self.scope_key: dict[str, tuple[int, ...]] = {}
        self.scope_keys: dict[tuple[int, ...], tuple[int, ...]] = {}
        self._ranked: list[tuple[list[tuple[Offer, int]], list[tuple[Offer, int]]]] | None = None
        self.stage_ids: frozenset[str] = frozenset()  # unit offers and boosts: what steps 1-2 depend on
        self._stage_cache: dict[frozenset[str], tuple] = {}
        self._tier_cache: dict[tuple, list] = {}


def _ranked(cart: CartState) -> list[tuple[list[tuple[Offer, int]], list[tuple[Offer, int]]]]:
    """Per line, its unit offers best first (plain, flash): the best one that is on is the first one on.
    Ties go to the offer expiring first, then the lower id, so input order never matters."""
    if cart._ranked is None:
        def order(x: tuple[Offer, int]) -> tuple:
            return (-x[1], expiry(x[0]), x[0].offer_id)
        ranked = []
        for fits in cart.unit_fit:
            plain: list[tuple[Offer, int]] = []
            flash: list[tuple[Offer, int]] = []
            for x in fits:
                (plain if x[0].campaign.flash is None else flash).append(x)
            if len(plain) > 1:
                plain.sort(key=order)
            if len(flash) > 1:
                flash.sort(key=order)
            ranked.append((plain, flash))
        cart._ranked = ranked
    return cart._ranked


def _scope_lines(cart: CartState, c: Campaign) -> list[int]:
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


def in_scope(c: Campaign, item: Sku) -> bool:
    """Whether the campaign's scope takes this item (`_scope_lines` answers the same for a whole cart
    through its indexes)."""
    sc = c.scope
    return (sc.skus is None and sc.categories is None) or (sc.skus is not None and item.sku in sc.skus) or (
        sc.categories is not None and item.category in sc.categories)


def reached(c: Campaign, idx: list[int], items: Sequence[Sku], subtotals: list[int]) -> list[int]:
    """Of the lines in the campaign's scope, the ones it reaches: a member-day percentage only lines
    that take member discounts; none at all when they come to less than its minimum spend."""
    if isinstance(c.benefit, PercentOff) and c.kind == "member_day":
        idx = [i for i in idx if items[i].member_discount]
    return idx if idx and sum(subtotals[i] for i in idx) >= c.conditions.min_spend_fen else []


def fit(cart: CartState, o: Offer) -> bool:
    """Place the offer where it fits this cart; False when it fits nowhere (scope, min spend, no saving)."""
    c = o.campaign
    idx = reached(c, _scope_lines(cart, c), cart.items, cart.subtotals)
    if not idx:
        return False
    cart.scoped[o.offer_id] = idx
    cart.scope_key[o.offer_id] = cart.scope_keys.setdefault(tuple(idx), tuple(idx))  # shared: sums are memoised
    if c.kind == "member_day":
        cart.boosts.append(o)
        return True
    if c.applies_to == "unit":
        fits = False
        for i in idx:
            saving = unit_saving(c, cart.lines[i].unit_price_fen)
            if saving > 0 and (c.flash is None or cart.flash_surplus.get(cart.items[i].sku, 0) > 0):
                cart.unit_fit[i].append((o, saving))
                fits = cart.any_unit_fit = True
        return fits
    cart.order_offers.append(o)
    return True


def _item_step(cart: CartState, on: frozenset[str]) -> tuple[list[list[tuple[Offer, int, int]]], list[int]]:
    """Per line: (offer, units, amount) at item level, and what remains of each line after it."""
    if not cart.any_unit_fit:  # most carts: no unit offer fits, each line keeps its subtotal
        return [[] for _ in cart.lines], list(cart.subtotals)
    plain: list[tuple[Offer, int] | None] = []
    # flash units go where they beat the plain offer most; a line may draw on a second flash offer
    # when the first one's cap runs out before the line's units do
    gains: list[tuple[int, int, int, Offer, int]] = []  # (-gain, line, rank in line, offer, saving)
    ranked = _ranked(cart)
    for i, (plains, flashes) in enumerate(ranked):
        best = next((x for x in plains if x[0].offer_id in on), None) if plains else None
        plain.append(best)
        base = best[1] if best else 0
        for rank, (o, saving) in enumerate(flashes):
            if saving > base and o.offer_id in on:
                gains.append((base - saving, i, rank, o, saving))
    surplus = dict(cart.flash_surplus)
    left: dict[str, int | None] = {}
    flash_units = [0] * len(cart.lines)
    flash_picks: list[list[tuple[Offer, int, int]]] = [[] for _ in cart.lines]  # (offer, units, saving)
    for _, i, _, o, saving in sorted(gains, key=lambda g: g[:3]):
        sku = cart.items[i].sku
        oid = o.offer_id
        cap = left.get(oid, o.remaining)
        free = cart.lines[i].qty - flash_units[i]
        n = min(free, surplus.get(sku, 0), cap if cap is not None else free)
        if n <= 0:
            continue
        surplus[sku] -= n
        left[oid] = None if cap is None else cap - n
        flash_units[i] += n
        flash_picks[i].append((o, n, saving))
    per_line: list[list[tuple[Offer, int, int]]] = []
    remaining: list[int] = []
    for i, line in enumerate(cart.lines):
        parts = [(o, n, saving * n) for o, n, saving in flash_picks[i]]
        rest = line.qty - flash_units[i]
        if rest and plain[i] is not None:
            o, saving = plain[i]  # type: ignore[misc]
            parts.append((o, rest, saving * rest))
        per_line.append(parts)
        remaining.append(cart.subtotals[i] - sum([p[2] for p in parts]))
    return per_line, remaining


def combined(amount: int, rates: list[tuple[str, Offer | None, int]]) -> list[tuple[str, Offer | None, int]]:
    """Step 2 on one line: the rates (rule id, offer, bps) taken as one rate off `amount`, half up,
    then split between them by their bps; parts that come to nothing are left out."""
    if len(rates) == 1:  # one rate takes it all: nothing to spread
        total = bps_of(amount, min(BPS, rates[0][2]))
        return [(rates[0][0], rates[0][1], total)] if total else []
    if not rates:
        return []
    weights = [r[2] for r in rates]
    amounts = spread(bps_of(amount, min(BPS, sum(weights))), weights)
    return [(r[0], r[1], a) for r, a in zip(rates, amounts, strict=True) if a]


def _tier_step(cart: CartState, on: frozenset[str], remaining: list[int]) -> list[list[tuple[str, Offer | None, int]]]:
    """Per line: the tier discount and member-day boosts, one combined rate, split by their bps."""
    out: list[list[tuple[str, Offer | None, int]]] = []
    boosts = [(rule_id(o), o, o.campaign.benefit.bps, cart.scoped[o.offer_id]) for o in cart.boosts  # type: ignore[union-attr]
              if o.offer_id in on and isinstance(o.campaign.benefit, PercentOff)]
    boost_ids = tuple(b[1].offer_id for b in boosts)
    tier_rate = cart.tier_rate
    cache = cart._tier_cache
    for i, item in enumerate(cart.items):
        memo = (i, remaining[i], boost_ids)  # most lines keep their amount from one combination to the next
        parts = cache.get(memo)
        if parts is None:
            rates = [tier_rate] if tier_rate is not None and item.member_discount else []
            rates.extend((rid, o, bps) for rid, o, bps, scoped in boosts if i in scoped)
            parts = cache[memo] = combined(remaining[i], rates)
        out.append(parts)
    return out


def order_amount(o: Offer, base: int) -> int:
    match o.campaign.benefit:
        case PercentOff(bps=bps):
            return bps_of(base, bps)
        case AmountOff(fen=fen):
            return min(fen, base)
    return 0


def order_step(cart: CartState, chain: list[Offer], remaining: list[int]) -> tuple[list[tuple[Offer, list[int]]], int]:
    """Apply order offers in turn, each spread over its lines; return the parts and the total taken."""
    left = list(remaining)
    parts = []
    taken = 0
    for o in chain:
        idx = cart.scoped[o.offer_id]
        amount = order_amount(o, sum(left[i] for i in idx))
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


class Outcome:
    __slots__ = ("saving", "items", "tiers", "orders")

    def __init__(self, saving, items, tiers, orders) -> None:  # noqa: ANN001
        self.saving, self.items, self.tiers, self.orders = saving, items, tiers, orders


def stage(cart: CartState, on: frozenset[str]):  # noqa: ANN202
    """Steps 1 and 2 for the unit offers and boosts that are on: (items, tiers, what each line has left)."""
    key = on & cart.stage_ids
    hit = cart._stage_cache.get(key)
    if hit is None:
        items, remaining = _item_step(cart, key)
        tiers = _tier_step(cart, key, remaining)
        after = [r - sum([a for _, _, a in t]) if t else r for r, t in zip(remaining, tiers, strict=True)]
        hit = cart._stage_cache[key] = (items, tiers, after)
    return hit


def chain_taken(cart: CartState, chain: list[Offer], after: list[int]) -> int:
    """What an order chain takes off; offers over the whole cart need no spreading to know it."""
    total, taken = sum(after), 0
    for o in chain:
        idx = cart.scoped[o.offer_id]
        if len(idx) == len(after):
            base = total - taken
        elif taken == 0:  # nothing spread yet: the lines still hold what steps 1-2 left
            base = sum(after[i] for i in idx)
        else:
            return order_step(cart, chain, after)[1]
        taken += order_amount(o, base)
    return taken


def choice_key(saving: int, chosen: list[Offer]) -> tuple:
    """Best for the customer first; on a tie the combination whose offers expire first; then by id."""
    return (-saving, tuple(sorted(expiry(o) for o in chosen)), tuple(sorted(o.offer_id for o in chosen)))


def evaluate(cart: CartState, on: frozenset[str], order_chain: list[Offer]) -> Outcome:
    items, tiers, after = stage(cart, on)
    orders, order_taken = order_step(cart, order_chain, after) if order_chain else ([], 0)
    saving = sum(cart.subtotals) - sum(after) + order_taken
    return Outcome(saving, items, tiers, orders)
