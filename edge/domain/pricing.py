"""Price a cart with campaigns: the pure engine. Every discount is named, half-up, in integer fen.

Order (DESIGN.md, Pricing):
1. item level: flash prices and unit offers, at most one offer per unit (the best for that unit;
   flash units limited by the SKU's surplus stock and the campaign's remaining cap);
2. tier discount in bps on lines that take member discounts, plus member-day boosts, as one
   combined rate per line (so a bigger earlier discount never makes the line dearer by a rounding);
3. order level: at most one non-stackable order offer, then stackable ones by priority; each
   spread over its lines by largest remainder.

Choosing: offers in the same exclusive group, and non-stackable order offers, exclude each other.
The engine tries every combination of exclusive-group picks (up to MAX_COMBINATIONS; beyond, it
improves one group's pick at a time until nothing helps) and for each finds the best order offer
exactly; it keeps the combination that saves the customer most; on a tie, the one whose chosen
offers expire first. Notes in the answer say why. The steps themselves are in pricing_steps.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, time
from itertools import combinations, product
from zoneinfo import ZoneInfo

import msgspec

from .campaigns import Customer, PercentOff, PointsMultiplier, conditions_hold, from_member_day_rule
from .errors import Problems
from .models import CartLine, Discount, MemberDayRule, PricedCart, PricedLine, PricingMember, Sku, Tier
from .pricing_steps import (
    CartState,
    Offer,
    Outcome,
    chain_taken,
    choice_key,
    combined,
    evaluate,
    fit,
    in_scope,
    order_amount,
    reached,
    rule_id,
    stage,
)

__all__ = ["MAX_COMBINATIONS", "Note", "Offer", "Priced", "Use", "allowed", "evaluate_set", "price_cart",
           "price_order", "price_with", "resolve_lines",
           "only_boosts", "tier_and_boosts"]

MAX_COMBINATIONS = 16  # combinations of exclusive-group picks tried exhaustively; beyond, coordinate ascent
MAX_DROPPED = 4  # free unit offers whose every subset is tried beside order offers; beyond, one at a time
ORDER_GROUP = "(order)"  # the implicit group of non-stackable order-level offers


class Use(msgspec.Struct, frozen=True, kw_only=True):
    """An offer the priced cart uses: the sale records it against the campaign's caps."""

    offer_id: str
    campaign_id: str
    code: str | None
    units: int  # flash units sold at the offer (0 for other offers)
    amount_fen: int
    by_sku: dict[str, int] = {}  # flash units per SKU (a price lock holds them against each SKU's surplus)


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


def price_with(cart_lines: Sequence[CartLine], catalog: Mapping[str, Sku], who: Customer,
               tiers: Mapping[str, Tier], offers: Sequence[Offer], flash_surplus: Mapping[str, int],
               now: datetime, tz: ZoneInfo, store_id: str | None = None,
               business_day_start: time = time(4, 0)) -> tuple[CartState, list[Offer]]:
    """The cart and the offers that fit it (conditions, caps, scope, min spend), by offer id."""
    cart = CartState(cart_lines, catalog, who, tiers, flash_surplus)
    local = now.astimezone(tz)
    fitting: dict[str, Offer] = {}
    for o in sorted(offers, key=lambda x: x.offer_id):
        if o.offer_id in fitting or (o.remaining is not None and o.remaining <= 0):
            continue
        if isinstance(o.campaign.benefit, PointsMultiplier):
            if conditions_hold(o.campaign, who, local, store_id, business_day_start):
                fitting[o.offer_id] = o
            continue
        if conditions_hold(o.campaign, who, local, store_id, business_day_start) and fit(cart, o):
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


def _order_chain(cart: CartState, chosen_ids: frozenset[str]) -> list[Offer]:
    if not cart.order_offers:
        return []
    chain = [o for o in cart.order_offers if o.offer_id in chosen_ids]
    first = [o for o in chain if not o.campaign.stacking.stackable]
    rest = sorted((o for o in chain if o.campaign.stacking.stackable),
                  key=lambda o: (-o.campaign.stacking.priority, o.offer_id))
    return first + rest


def evaluate_set(cart: CartState, chosen: Sequence[Offer]) -> int:
    """The saving of exactly this set of fitting offers (for checks and the brute-force tests)."""
    on = frozenset(o.offer_id for o in chosen)
    return evaluate(cart, on, _order_chain(cart, on)).saving


def allowed(offers: Sequence[Offer]) -> bool:
    """True when no two offers share an exclusive group and at most one non-stackable order offer."""
    for members in _groups(list(offers)).values():
        if len(members) > 1:
            return False
    return True


class _Search:
    """Finds the best allowed combination: exclusive groups are enumerated, and for each choice the
    best order-level offer is found exactly, since steps 1-2 do not depend on it."""

    def __init__(self, cart: CartState, pricing: list[Offer]) -> None:
        self.cart = cart
        groups = _groups(pricing)
        self.order_slot = groups.pop(ORDER_GROUP, [])
        self.groups = groups
        self.names = sorted(groups)
        self.grouped = {o.offer_id for members in groups.values() for o in members}
        slot = {o.offer_id for o in self.order_slot}
        self.free = frozenset(o.offer_id for o in pricing if o.offer_id not in self.grouped and o.offer_id not in slot)
        self.open_slot = [o for o in self.order_slot if o.offer_id not in self.grouped]
        # Free unit offers are on unless left out: leaving one out can pay when an order offer follows
        # (an amount off capped by what its lines have left, a percentage's rounding), so with order
        # offers in play the search also tries the cart without some of them.
        self.droppable = sorted(o.offer_id for o in pricing if o.offer_id in self.free
                                and o.campaign.applies_to == "unit") if cart.order_offers else []
        self._memo: dict[tuple, tuple[tuple, list[Offer], frozenset[str]] | None] = {}

    def best_for(self, picks: tuple[Offer | None, ...]) -> tuple[tuple, list[Offer], frozenset[str]] | None:
        memo = (self.free, tuple(o.offer_id if o is not None else None for o in picks))
        if memo not in self._memo:
            self._memo[memo] = self._best_for(picks)
        return self._memo[memo]

    def _best_for(self, picks: tuple[Offer | None, ...]) -> tuple[tuple, list[Offer], frozenset[str]] | None:
        picked = list({o.offer_id: o for o in picks if o is not None}.values())
        if not allowed(picked):
            return None
        on = self.free | frozenset(o.offer_id for o in picked)
        _, _, after = stage(self.cart, on)
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
                taken[o.offer_id] = order_amount(o, sums[idx])
            top = max(taken.values())
            candidates = [c for c in candidates if taken[c.offer_id if c is not None else None] == top]
        best: tuple[tuple, list[Offer], frozenset[str]] | None = None
        for c in candidates:
            full = ([c] if c is not None else []) + stackables
            chosen = picked + ([c] if c is not None and not fixed else [])
            key = choice_key(base + chain_taken(self.cart, full, after), chosen)
            if best is None or key < best[0]:
                best = (key, chosen, on | ({c.offer_id} if c is not None else frozenset()))
        return best

    def run(self) -> tuple[list[Offer], frozenset[str]]:
        all_free = self.free
        best = self._run_groups()
        if len(self.droppable) <= MAX_DROPPED:
            for size in range(1, len(self.droppable) + 1):
                for left_out in combinations(self.droppable, size):
                    self.free = all_free - frozenset(left_out)
                    found = self._run_groups()
                    if found[0][0] < best[0][0]:  # only for a bigger saving: a tie keeps every offer on
                        best = found
        else:  # too many to try every subset: leave out one more at a time while that helps
            out: frozenset[str] = frozenset()
            improved = True
            while improved:
                improved = False
                for offer_id in self.droppable:
                    if offer_id in out:
                        continue
                    self.free = all_free - out - {offer_id}
                    found = self._run_groups()
                    if found[0][0] < best[0][0]:
                        best, out, improved = found, out | {offer_id}, True
        self.free = all_free
        return best[1], best[2]

    def _run_groups(self) -> tuple[tuple, list[Offer], frozenset[str]]:
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
        return best


def only_boosts(offers: Sequence[Offer]) -> bool:
    """Whether every offer is a member-day boost (a percentage off, in no exclusive group): then there
    is nothing to choose between, and steps 1 and 3 do nothing."""
    for o in offers:
        c = o.campaign
        if c.kind != "member_day" or not isinstance(c.benefit, PercentOff) or c.stacking.exclusive_group is not None:
            return False
    return True


def tier_and_boosts(lines: Sequence[CartLine], catalog: Mapping[str, Sku], who: Customer, tiers: Mapping[str, Tier],
                    offers: Sequence[Offer], now: datetime, tz: ZoneInfo, store_id: str | None = None,
                    business_day_start: time = time(4, 0)) -> Priced:
    """`price_order` when the offers are member-day boosts only (`only_boosts`): the tier discount and
    the boosts that hold and fit as one rate per line, as step 2 takes them, half up. The same answer
    as the full engine gives (tests compare the two); only faster."""
    items = [catalog[x.sku] for x in lines]
    subtotals = [x.qty * x.unit_price_fen for x in lines]
    reach: dict[str, tuple[str, Offer, int, set[int]]] = {}  # a boost: on the lines in its scope that take it
    local = now.astimezone(tz) if offers else now
    for o in sorted(offers, key=lambda x: x.offer_id) if len(offers) > 1 else offers:
        c = o.campaign
        if o.offer_id in reach or (o.remaining is not None and o.remaining <= 0) or \
                not conditions_hold(c, who, local, store_id, business_day_start):
            continue
        idx = reached(c, [i for i, item in enumerate(items) if in_scope(c, item)], items, subtotals)
        if idx:
            reach[o.offer_id] = (rule_id(o), o, c.benefit.bps, set(idx))  # type: ignore[union-attr]
    tier = tiers.get(who.tier_id) if who.member_id is not None and who.tier_id else None
    tier_rate = (f"tier:{tier.tier_id}", None, tier.discount_bps) if tier is not None and tier.discount_bps else None
    names: dict[str, tuple[str, str, Offer | None]] = {}
    if tier is not None:
        names[f"tier:{tier.tier_id}"] = (f"{tier.name_zh}折扣", f"{tier.name_en} discount", None)
    for rid, o, _, _ in reach.values():
        names.setdefault(rid, (o.campaign.name_zh, o.campaign.name_en, o))
    priced: list[PricedLine] = []
    totals: dict[str, int] = {}
    subtotal_fen = discount_fen = 0
    for i, line in enumerate(lines):
        rates = [tier_rate] if tier_rate is not None and items[i].member_discount else []
        rates.extend((rid, o, bps) for rid, o, bps, idx in reach.values() if i in idx)
        subtotal = subtotals[i]
        ds = []
        discount = 0
        for rid, _, amount in combined(subtotal, rates):
            zh, en, _ = names[rid]
            ds.append(Discount(rid, zh, en, amount))
            discount += amount
            totals[rid] = totals.get(rid, 0) + amount
        priced.append(PricedLine(sku=line.sku, qty=line.qty, unit_price_fen=line.unit_price_fen,
                                 subtotal_fen=subtotal, discount_fen=discount, total_fen=subtotal - discount,
                                 discounts=ds))
        subtotal_fen += subtotal
        discount_fen += discount
    applied = [Discount(rid, names[rid][0], names[rid][1], amount) for rid, amount in totals.items()]
    uses = [Use(offer_id=o.offer_id, campaign_id=o.campaign.campaign_id, code=o.code, units=0, amount_fen=amount)
            for rid, amount in totals.items() if (o := names[rid][2]) is not None]
    cart_out = PricedCart(lines=priced, subtotal_fen=subtotal_fen, discount_fen=discount_fen,
                          total_fen=subtotal_fen - discount_fen, applied=applied)
    return Priced(cart=cart_out, uses=uses, points_multiplier_pct=100, notes=[])


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
    *,
    full_engine: bool = False,
) -> Priced:
    """Price the cart with the best allowed combination of the offers; every discount explained.

    With nothing to choose between (most carts: no offers, or member-day boosts only) the tier and
    the boosts price it directly (`tier_and_boosts`); `full_engine` runs the engine anyway, for the
    tests that hold the two equal.
    """
    if not full_engine and only_boosts(offers):
        return tier_and_boosts(lines, catalog, who, tiers, offers, now, tz, store_id, business_day_start)
    cart, fitting = price_with(lines, catalog, who, tiers, offers, flash_surplus, now, tz, store_id,
                               business_day_start)
    multipliers = [o for o in fitting if isinstance(o.campaign.benefit, PointsMultiplier)]
    pricing = [o for o in fitting if not isinstance(o.campaign.benefit, PointsMultiplier)]
    groups = _groups(pricing)
    if groups:
        chosen, on = _Search(cart, pricing).run()
    else:  # nothing excludes anything: the search would switch every fitting offer on and pick none
        chosen, on = [], frozenset(o.offer_id for o in pricing)
    best = evaluate(cart, on, _order_chain(cart, on))
    notes = _notes(cart, groups, chosen, best)
    mult = max((o.campaign.benefit.pct for o in multipliers), default=100)  # type: ignore[union-attr]
    for o in multipliers:
        notes.append(Note(offer_id=o.offer_id, name_zh=o.campaign.name_zh, name_en=o.campaign.name_en,
                          applied=o.campaign.benefit.pct == mult,  # type: ignore[union-attr]
                          reason=f"points x{o.campaign.benefit.pct / 100:g}"))  # type: ignore[union-attr]
    return _assemble(cart, best, multipliers, mult, notes)


def _notes(cart: CartState, groups: dict[str, list[Offer]], chosen: list[Offer], best: Outcome) -> list[Note]:
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


def _assemble(cart: CartState, best: Outcome, multipliers: list[Offer], mult: int, notes: list[Note]) -> Priced:
    priced: list[PricedLine] = []
    totals: dict[str, list] = {}  # rule id -> [zh, en, amount, offer, units, units by sku]
    tier = cart.tier
    tier_zh, tier_en = (f"{tier.name_zh}折扣", f"{tier.name_en} discount") if tier is not None else ("", "")
    subtotal_fen = discount_fen = 0
    for i, line in enumerate(cart.lines):
        parts: list[tuple[str, Offer | None, str, str, int, int]] = []  # rule id, offer, zh, en, amount, units
        for o, units, amount in best.items[i]:
            if amount:
                parts.append((rule_id(o), o, o.campaign.name_zh, o.campaign.name_en, amount,
                              units if o.campaign.flash is not None else 0))
        for rid, o, amount in best.tiers[i]:
            if o is None:
                parts.append((rid, None, tier_zh, tier_en, amount, 0))
            else:
                parts.append((rid, o, o.campaign.name_zh, o.campaign.name_en, amount, 0))
        for o, by_line in best.orders:
            if by_line[i]:
                parts.append((rule_id(o), o, o.campaign.name_zh, o.campaign.name_en, by_line[i], 0))
        ds: list[Discount] = []
        discount = 0
        for rid, o, zh, en, amount, units in parts:
            ds.append(Discount(rid, zh, en, amount))
            discount += amount
            entry = totals.get(rid)
            if entry is None:
                entry = totals[rid] = [zh, en, amount, o, units, {}]
            else:
                entry[2] += amount
                entry[4] += units
            if units:
                entry[5][line.sku] = entry[5].get(line.sku, 0) + units
        subtotal = cart.subtotals[i]
        priced.append(PricedLine(sku=line.sku, qty=line.qty, unit_price_fen=line.unit_price_fen,
                                 subtotal_fen=subtotal, discount_fen=discount, total_fen=subtotal - discount,
                                 discounts=ds))
        subtotal_fen += subtotal
        discount_fen += discount
    applied = [Discount(rid, e[0], e[1], e[2]) for rid, e in totals.items()]
    uses = [Use(offer_id=e[3].offer_id, campaign_id=e[3].campaign.campaign_id, code=e[3].code, units=e[4],
                amount_fen=e[2], by_sku=e[5]) for e in totals.values() if e[3] is not None]
    for _, _, _, o, units, _ in totals.values():
        if o is not None and units and o.campaign.flash is not None:
            notes.append(Note(offer_id=o.offer_id, name_zh=o.campaign.name_zh, name_en=o.campaign.name_en,
                              applied=True, reason=f"{units} unit(s) at the flash price, from the stock above "
                                                   f"the threshold of {o.campaign.flash.threshold}"))
    top = next((o for o in sorted(multipliers, key=lambda o: o.offer_id)
                if o.campaign.benefit.pct == mult), None) if multipliers else None  # type: ignore[union-attr]
    if top is not None:
        uses.append(Use(offer_id=top.offer_id, campaign_id=top.campaign.campaign_id, code=top.code, units=0,
                        amount_fen=0))
    cart_out = PricedCart(lines=priced, subtotal_fen=subtotal_fen, discount_fen=discount_fen,
                          total_fen=subtotal_fen - discount_fen, applied=applied)
    return Priced(cart=cart_out, uses=uses, points_multiplier_pct=mult, notes=notes)
