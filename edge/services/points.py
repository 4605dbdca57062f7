"""Points in the sale's transaction: redeem as a discount (member present and confirming), hold what
a sale earns for the policy's days, release it when due, expire old points, take them back on a void."""

import sqlite3
from datetime import datetime, timedelta

from ..domain.errors import Conflict, FieldError, InvalidInput
from ..domain.events import PointsEntry, PointsHeld, PointsPolicyChanged
from ..domain.models import Member, PricedCart
from ..domain.points import PointsPolicy, confirms, points_to_expire, take_points
from ..schemas import SaleIn
from ..store import members as member_repo
from ..store import points as repo
from ..store.outbox import append_event
from .runtime import StoreRuntime, bump_reference


def _entry(conn: sqlite3.Connection, member_id: str, kind: str, points: int, sale_id: str | None,
           now: datetime) -> None:
    entry = member_repo.add_points(conn, member_id, kind, points, sale_id, now)
    append_event(conn, PointsEntry(entry_id=entry, member_id=member_id, kind=kind, points=points, sale_id=sale_id),
                 now)


def check_redemption_request(data: SaleIn) -> None:
    """Before any work: a redemption needs a member the lane identified, not one a payment recognised."""
    if data.redeem_points and data.member_id is None:
        raise InvalidInput.on("member_id", "points are redeemed only for a member identified at the till "
                                           "(member code or phone), never by payment recognition alone")


def redeem(conn: sqlite3.Connection, policy: PointsPolicy, member: Member, data: SaleIn, cart: PricedCart,
           now: datetime) -> PricedCart:
    """Spend the requested points as a discount; the member confirms with the last 4 digits of their phone."""
    points = data.redeem_points
    if not confirms(member.phone_e164, data.member_confirmation):
        raise InvalidInput.on("member_confirmation", "the member confirms with the last 4 digits of their phone")
    if points < policy.min_redeem:
        raise InvalidInput.on("redeem_points", f"at least {policy.min_redeem} points at a time")
    release_due(conn, now, member.member_id)
    expire_old(conn, policy, now, member.member_id)
    balance = member_repo.by_id(conn, member.member_id).points_balance  # type: ignore[union-attr]
    if points > balance:
        raise Conflict("not enough points", [FieldError("redeem_points", f"only {balance} points available")])
    value = points * policy.fen_per_point
    if value > cart.total_fen:
        raise InvalidInput.on("redeem_points", f"worth {value} fen, more than the total of {cart.total_fen} fen")
    _entry(conn, member.member_id, "redeem", -points, data.sale_id, now)
    return take_points(cart, value)


def preview(store: StoreRuntime, member: Member | None, points: int, cart: PricedCart) -> PricedCart:
    """The quote's view of a redemption: the same checks as the sale, bar the member's confirmation,
    which is asked for at payment."""
    if points == 0:
        return cart
    if member is None:
        raise InvalidInput.on("member", "points are redeemed only for a member identified at the till")
    conn = store.reader.conn
    policy = repo.load_policy(conn)
    if points < policy.min_redeem:
        raise InvalidInput.on("redeem_points", f"at least {policy.min_redeem} points at a time")
    now = store.clock()
    balance = member.points_balance + sum(p for _, _, p in repo.due(conn, now, member.member_id))
    if points > balance:
        raise Conflict("not enough points", [FieldError("redeem_points", f"only {balance} points available")])
    value = points * policy.fen_per_point
    if value > cart.total_fen:
        raise InvalidInput.on("redeem_points", f"worth {value} fen, more than the total of {cart.total_fen} fen")
    return take_points(cart, value)


def earn(conn: sqlite3.Connection, policy: PointsPolicy, member_id: str, points: int, sale_id: str,
         now: datetime) -> datetime | None:
    """Hold what the sale earned until it is past returns; return when it is released (None: at once)."""
    if points <= 0:
        return None
    if policy.pending_days == 0:
        _entry(conn, member_id, "accrue", points, sale_id, now)
        return None
    release_at = now + timedelta(days=policy.pending_days)
    repo.hold(conn, sale_id, member_id, points, release_at)
    append_event(conn, PointsHeld(member_id=member_id, points=points, sale_id=sale_id,
                                  release_at=release_at.isoformat()), now)
    return release_at


def release_due(conn: sqlite3.Connection, now: datetime, member_id: str | None = None) -> int:
    """Turn held points past their release time into accruals; return how many sales were released."""
    released = 0
    for sale_id, owner, points in repo.due(conn, now, member_id):
        if repo.mark(conn, sale_id, "released"):
            _entry(conn, owner, "accrue", points, sale_id, now)
            released += 1
    return released


def expire_old(conn: sqlite3.Connection, policy: PointsPolicy, now: datetime, member_id: str) -> int:
    """Expire, first in first out, points accrued more than `expire_days` ago and not yet spent."""
    accrued, spent, expired = repo.expiry_sums(conn, member_id, now - timedelta(days=policy.expire_days))
    due = min(points_to_expire(accrued, max(0, spent), expired),
              member_repo.by_id(conn, member_id).points_balance)  # type: ignore[union-attr]
    if due > 0:
        _entry(conn, member_id, "expire", -due, None, now)
    return max(due, 0)


def take_back(conn: sqlite3.Connection, sale_id: str, member_id: str, earned: int, now: datetime) -> None:
    """On a void: held points are dropped, released ones reversed, redeemed ones given back."""
    status = repo.pending_status(conn, sale_id)
    if status == "pending":
        repo.mark(conn, sale_id, "reversed")
    elif earned and (status == "released" or status is None):  # None: earned before held points existed
        _entry(conn, member_id, "reverse", -earned, sale_id, now)
    for owner, spent in repo.redeemed_on(conn, sale_id):
        _entry(conn, owner, "adjust", spent, sale_id, now)


async def maintain(store: StoreRuntime) -> dict[str, int]:
    """Release due points and expire old ones for every member: the periodic sweep."""

    def command(conn: sqlite3.Connection) -> dict[str, int]:
        now = store.clock()
        policy = repo.load_policy(conn)
        released = release_due(conn, now)
        expired = 0
        for member_id in repo.members_with_accruals_before(conn, now - timedelta(days=policy.expire_days)):
            expired += expire_old(conn, policy, now, member_id)
        return {"points_released": released, "points_expired": expired}

    return await store.writer.run(command)


def policy(store: StoreRuntime) -> PointsPolicy:
    return repo.load_policy(store.reader.conn)


async def set_policy(store: StoreRuntime, new: PointsPolicy) -> PointsPolicy:
    """Replace the store's points policy (rate, minimum, hold days, expiry days)."""

    def command(conn: sqlite3.Connection) -> PointsPolicy:
        repo.save_policy(conn, new)
        bump_reference(conn)  # sales read the policy from the cached reference
        append_event(conn, PointsPolicyChanged(fen_per_point=new.fen_per_point, min_redeem=new.min_redeem,
                                               pending_days=new.pending_days, expire_days=new.expire_days),
                     store.clock())
        return new

    return await store.writer.run(command)
