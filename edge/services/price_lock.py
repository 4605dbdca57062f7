"""Price locks at this store: the lanes' live locks in memory, the ones that hold something in SQLite.

A quote whose cart touches nothing scarce stays a pure read: its lock lives only in `LockBook`
(bounded; a lock lost to a restart or to the bound only means the sale is priced when recorded, and
any difference is an exception, never a refusal). A quote that prices something scarce takes the
writer: it is priced again inside the transaction, counting every other checkout's live reservations,
and its lock and reservations are stored, so two lanes can never hold the same last unit.
"""

import sqlite3
from datetime import datetime, timedelta

import msgspec

from ..domain.clock import iso, parse_iso
from ..domain.errors import Conflict, FieldError
from ..domain.models import CartLine, Member
from ..domain.price_lock import Held, PriceLock, cart_key, held_by
from ..domain.pricing import Note, Priced
from ..schemas import LineIn, QuoteIn
from ..store import coupons as coupon_repo
from ..store import locks as repo
from ..store.join import sale_of_checkout
from ..store.writer import after_commit
from .lock_book import LockBook
from .pricing import PricingContext, price_cart
from .runtime import StoreRuntime

_encode = msgspec.json.Encoder().encode
_decode_priced = msgspec.json.Decoder(Priced).decode


def book(store: StoreRuntime) -> LockBook:
    return store.price_locks


def key_of(lines: list[LineIn], codes: list[str], redeem_points: int) -> bytes:
    return cart_key([(x.sku, x.qty, x.unit_price_fen) for x in lines], codes, redeem_points)


async def lock_quote(store: StoreRuntime, ctx: PricingContext, data: QuoteIn, checkout_id: str, cart: list[CartLine],
                     member: Member | None, own: list[coupon_repo.CouponRow], recognised: bool) -> PriceLock:
    """Price the quote's cart and lock it. A cart that holds nothing (and a checkout that held nothing
    before) is priced on the reader and written nowhere; otherwise the pricing and the holding happen
    in one writer command. A re-quote of a checkout that holds something goes straight to the writer:
    priced once there, not on the reader first."""
    conn = store.reader.conn
    until = ctx.now + timedelta(minutes=store.config.price_lock_minutes)
    previous = book(store).get(checkout_id)
    # the book lists every checkout with a stored lock: a new checkout's first quote reads nothing here
    held_before = previous.holds if previous is not None else book(store).may_be_stored(checkout_id)

    def locked(priced: Priced, holds: bool) -> PriceLock:
        return PriceLock(checkout_id=checkout_id, lane_id=data.lane_id, cashier_id=data.cashier_id,
                         member_id=member.member_id if member else None, recognised=recognised,
                         cart_key=key_of(data.lines, data.coupon_codes, data.redeem_points), priced=priced,
                         quoted_at=ctx.now, locked_until=until, holds=holds)

    lock = None
    if not held_before:
        priced = price_cart(ctx, conn, cart, member, data.coupon_codes, own, holder=checkout_id)
        if not held_by(priced, ctx.plan.limited):
            lock = locked(priced, False)
    if lock is None:
        def command(wconn: sqlite3.Connection) -> PriceLock:
            # inside the transaction: what other lanes hold now, not when the reader looked (this
            # checkout's own holds never count against it, and a re-quote replaces them below). The
            # member's coupons are read again only if the reader saw some: one may have been used since
            priced = price_cart(ctx, wconn, cart, member, data.coupon_codes, None if own else [],
                                holder=checkout_id)
            holding = held_by(priced, ctx.plan.limited)
            if holding:
                priced = msgspec.structs.replace(priced, notes=priced.notes + held_notes(priced, holding, until))
            done = locked(priced, bool(holding))
            if holding:
                repo.save_lock(wconn, _row(done), holding, done.member_id, ctx.day)
                book(store).stored(checkout_id, data.lane_id)
            else:
                repo.release(wconn, checkout_id)
                after_commit(book(store).unstore_later(checkout_id))
            return done

        lock = await store.writer.run(command)
    book(store).put(lock)
    return lock


def held_notes(priced: Priced, holding: list[Held], until: datetime) -> list[Note]:
    """What the quote holds for this checkout, said in its notes: the customer display and the
    cashier see that the flash units (or the coupon) are theirs until the lock runs out."""
    names = {n.offer_id: n for n in priced.notes}
    units: dict[str, int] = {}
    for h in holding:
        units[h.offer_id] = units.get(h.offer_id, 0) + h.units
    out = []
    for offer_id, n in units.items():
        known = names.get(offer_id)
        what = f"{n} flash unit(s)" if n else "this offer"
        out.append(Note(offer_id=offer_id, name_zh=known.name_zh if known else offer_id,
                        name_en=known.name_en if known else offer_id, applied=True,
                        reason=f"{what} held for this checkout until {iso(until)}"))
    return out


def _row(lock: PriceLock) -> repo.LockRow:
    return repo.LockRow(checkout_id=lock.checkout_id, lane_id=lock.lane_id, cashier_id=lock.cashier_id,
                        member_id=lock.member_id, recognised=lock.recognised, cart_key=lock.cart_key,
                        priced=_encode(lock.priced), quoted_at=iso(lock.quoted_at), locked_until=iso(lock.locked_until))


def stored_lock(conn: sqlite3.Connection, checkout_id: str) -> PriceLock | None:
    """The lock a quote stored with its reservations (it outlives a restart), or None."""
    row = repo.lock_of(conn, checkout_id)
    if row is None:
        return None
    return PriceLock(checkout_id=row.checkout_id, lane_id=row.lane_id, cashier_id=row.cashier_id,
                     member_id=row.member_id, recognised=row.recognised, cart_key=row.cart_key,
                     priced=_decode_priced(row.priced), quoted_at=parse_iso(row.quoted_at),
                     locked_until=parse_iso(row.locked_until), holds=True)


def lock_for_sale(conn: sqlite3.Connection, store: StoreRuntime, checkout_id: str | None, lane_id: str) -> PriceLock | None:
    """Inside the sale's command: the checkout's lock from memory, else the one stored with its
    reservations (which outlives a restart; once swept for expiry it is gone, and the sale re-prices).

    A sale that names no checkout (a till that does not send one) is its lane's latest checkout: a
    lane rings up one customer at a time, and the lock its quote took must not hold units against it."""
    locks = book(store)
    if checkout_id is None:
        found = locks.of_lane(lane_id)
        if found is None:
            if not locks.lane_may_have_stored(lane_id):
                return None
            row = repo.latest_of_lane(conn, lane_id)
            return stored_lock(conn, row) if row is not None else None
        checkout_id = found.checkout_id
    else:
        found = locks.get(checkout_id)
    if found is not None and not found.holds:
        return found
    return stored_lock(conn, checkout_id) if locks.may_be_stored(checkout_id) else None


def consume(conn: sqlite3.Connection, store: StoreRuntime, lock: PriceLock) -> None:
    """Inside the sale's command: what the lock held is spent by the sale (or released for it to be
    priced again); after the commit the lock leaves memory. A lock that held nothing has no rows."""
    if lock.holds:
        repo.release(conn, lock.checkout_id)
        after_commit(book(store).unstore_later(lock.checkout_id))
    after_commit(lambda: book(store).drop(lock.checkout_id))


async def cancel(store: StoreRuntime, checkout_id: str) -> int:
    """Cancel an open checkout: its reservations are released; return how many. A paid one is 409."""

    def command(conn: sqlite3.Connection) -> int:
        if sale_of_checkout(conn, checkout_id) is not None:
            raise Conflict(f"checkout {checkout_id} is paid", [FieldError("checkout_id", "already paid: void the sale")])
        released = repo.release(conn, checkout_id)
        after_commit(lambda: book(store).drop(checkout_id))
        after_commit(book(store).unstore_later(checkout_id))
        return released

    return await store.writer.run(command)


async def release_expired(store: StoreRuntime) -> int:
    """The upkeep's part: drop locks whose time is up (memory and database); return how many stored ones."""
    now = store.clock()

    def command(conn: sqlite3.Connection) -> list[str]:
        gone = repo.release_expired(conn, now)
        for checkout_id in gone:
            after_commit(book(store).unstore_later(checkout_id))
        return gone

    gone = await store.writer.run(command)
    expire_memory(store, now)
    return len(gone)


def expire_memory(store: StoreRuntime, now: datetime) -> None:
    book(store).expire(now)
