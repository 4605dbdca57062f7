"""What gets printed, built from what the store recorded: a sale's receipt from its stored answer,
a void slip from the voided one, a coupon slip from the coupon and its campaign.

Reading the sale's own answer means the paper states exactly what the till was told. The receipt's
join line states what a receipt join gives (the sale's points at the entry tier, credited by
`join._attribute_receipt_sale` with the same `points_earned`), never a fixed promise.
"""

import sqlite3

import msgspec

from printers.document import PAPERS, Document, Paper
from printers.receipt import (
    Discount,
    JoinPart,
    MemberPagePart,
    MemberPart,
    Receipt,
    ReceiptLine,
    VoidSlip,
    receipt_document,
    void_document,
)
from printers.slips import Condition, CouponSlip, coupon_document, poster_document, printer_test_page

from ..domain.campaigns import AmountOff, Campaign, FixedPrice, PercentOff, PointsMultiplier
from ..domain.clock import parse_iso
from ..domain.errors import FieldError, NotFound
from ..domain.loyalty import entry_tier, points_earned
from ..schemas import SaleOut
from ..store import campaigns as campaign_repo
from ..store import coupons as coupon_repo
from ..store import join as join_repo
from ..store import sales as sale_repo
from ..store.print_jobs import JobRow, PrinterRow
from .join import standee_out
from .runtime import StoreRuntime

_decode_sale = msgspec.json.Decoder(SaleOut).decode


def local(store: StoreRuntime, utc_text: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not utc_text:
        return ""
    return parse_iso(utc_text).astimezone(store.tz).strftime(fmt)


def recorded_sale(conn: sqlite3.Connection, sale_id: str) -> SaleOut:
    row = sale_repo.get_sale(conn, sale_id)
    if row is None:
        raise NotFound(f"no sale {sale_id}", [FieldError("sale_id", "no such sale")])
    return _decode_sale(row.response)


def join_pitch(store: StoreRuntime, total_fen: int) -> tuple[str, str]:
    """The receipt's one line on joining: the points this receipt brings a new member."""
    ref = store.reference()
    points = points_earned(total_fen, entry_tier(ref.tiers), store.config.fen_per_point)
    if points <= 0:
        return "扫码加入会员", "Scan to join"
    return f"扫码入会 本单{points}积分立即到账", f"Join now: {points} points for this receipt"


def receipt(store: StoreRuntime, sale: SaleOut, reprint: bool) -> Receipt:
    member = None
    if sale.member is not None:
        m = sale.member
        member = MemberPart(phone_masked=m.phone_masked, tier_zh=m.tier.name_zh, tier_en=m.tier.name_en,
                            points_earned=sale.points_earned, points_balance=m.points_balance,
                            points_redeemed=sale.points_redeemed,
                            points_held_until=local(store, sale.points_pending_until, "%Y-%m-%d") or None)
    join = None
    if sale.member is None and sale.receipt.join is not None and sale.status == "completed":
        zh, en = join_pitch(store, sale.total_fen)
        join = JoinPart(url=sale.receipt.join.url, pitch_zh=zh, pitch_en=en,
                        valid_until=local(store, sale.receipt.join.expires_at, "%Y-%m-%d"))
    page_link = sale.receipt.member_page
    member_page = MemberPagePart(url=page_link.url, valid_until=local(store, page_link.expires_at, "%Y-%m-%d")) \
        if member is not None and page_link is not None and sale.status == "completed" else None
    return Receipt(
        store_name=sale.receipt.store_name, sale_id=sale.sale_id, sold_at=local(store, sale.created_at),
        business_day=sale.receipt.business_day, lane_id=sale.lane_id, cashier_id=sale.cashier_id,
        lines=[ReceiptLine(name_zh=ln.name_zh, name_en=ln.name_en, qty=ln.qty, unit_price_fen=ln.unit_price_fen,
                           subtotal_fen=ln.subtotal_fen, total_fen=ln.total_fen,
                           discounts=[Discount(d.name_zh, d.name_en, d.amount_fen) for d in ln.discounts])
               for ln in sale.lines],
        subtotal_fen=sale.subtotal_fen, discount_fen=sale.discount_fen, total_fen=sale.total_fen,
        payment_method=sale.payment.method, paid_fen=sale.payment.amount_fen, member=member, join=join,
        reprint=reprint, voided=sale.status == "voided", member_page=member_page)


def void_slip(store: StoreRuntime, sale: SaleOut, reprint: bool) -> VoidSlip:
    return VoidSlip(store_name=sale.receipt.store_name, sale_id=sale.sale_id, sold_at=local(store, sale.created_at),
                    voided_at=local(store, sale.voided_at), lane_id=sale.lane_id, cashier_id=sale.cashier_id,
                    reason=sale.void_reason or "", total_fen=sale.payment.amount_fen, payment_method=sale.payment.method,
                    member_phone_masked=sale.receipt.printed_member, points_reversed=sale.points_earned,
                    reprint=reprint)


def _fen(fen: int) -> str:
    return f"{fen // 100}" if fen % 100 == 0 else f"{fen // 100}.{fen % 100:02d}"


def benefit_words(c: Campaign) -> tuple[str, str]:
    """What a campaign gives, as a coupon states it: 满50减10, 8.5折, ..."""
    min_spend = c.conditions.min_spend_fen
    match c.benefit:
        case AmountOff(fen=fen):
            if min_spend:
                return f"满{_fen(min_spend)}减{_fen(fen)}", f"{_fen(fen)} off orders from {_fen(min_spend)}"
            return f"立减{_fen(fen)}元", f"{_fen(fen)} yuan off"
        case PercentOff(bps=bps):
            pay = 10_000 - bps  # 8.5折: the customer pays 85%
            zhe = f"{pay // 1000}.{pay % 1000:03d}".rstrip("0").rstrip(".")
            off = f"{bps // 100}.{bps % 100:02d}".rstrip("0").rstrip(".")
            return f"{zhe}折", f"{off}% off"
        case FixedPrice(fen=fen):
            return f"特价{_fen(fen)}元", f"Now {_fen(fen)} yuan"
        case PointsMultiplier(pct=pct):
            times = f"{pct // 100}.{pct % 100:02d}".rstrip("0").rstrip(".")
            return f"积分{times}倍", f"{times}x points"
    return c.name_zh, c.name_en


def conditions(c: Campaign) -> list[Condition]:
    out = []
    if c.conditions.min_spend_fen:
        out.append(Condition(f"满{_fen(c.conditions.min_spend_fen)}元可用",
                             f"min. spend {_fen(c.conditions.min_spend_fen)} yuan"))
    if c.scope.skus or c.scope.categories:
        items = ", ".join([*(c.scope.skus or []), *(c.scope.categories or [])])
        out.append(Condition(f"限指定商品：{items}", f"on {items} only"))
    if c.conditions.tiers:
        out.append(Condition(f"限会员等级：{', '.join(c.conditions.tiers)}", f"tiers {', '.join(c.conditions.tiers)}"))
    if c.conditions.weekdays:
        names = "一二三四五六日"
        out.append(Condition("限星期" + "、".join(names[d - 1] for d in c.conditions.weekdays),
                             "weekdays " + ", ".join(str(d) for d in c.conditions.weekdays)))
    if c.conditions.time_from and c.conditions.time_to:
        span = f"{c.conditions.time_from}-{c.conditions.time_to}"
        out.append(Condition(f"限时段 {span}", f"{span} only"))
    out.append(Condition("每单限用一张", "one coupon per order") if c.stacking.exclusive_group or not
               c.stacking.stackable else Condition("可与其他优惠同享", "stacks with other offers"))
    return out


def coupon_slip(store: StoreRuntime, conn: sqlite3.Connection, code: str) -> CouponSlip:
    coupon = coupon_repo.by_code(conn, code)
    if coupon is None:
        raise NotFound(f"no coupon {code}", [FieldError("code", "no such coupon")])
    stored = campaign_repo.get_campaign(conn, coupon.campaign_id)
    if stored is None:
        raise NotFound(f"the campaign of coupon {code} is gone", [FieldError("code", "campaign not found")])
    campaign = stored.campaign
    zh, en = benefit_words(campaign)
    return CouponSlip(store_name=store.config.name, name_zh=campaign.name_zh, name_en=campaign.name_en,
                      benefit_zh=zh, benefit_en=en, code=coupon.code, qr_data=coupon.code,
                      expires=local(store, coupon.expires_at, "%Y-%m-%d"), conditions=conditions(campaign))


def paper_of(printer: PrinterRow) -> Paper:
    return PAPERS[printer.width_mm]


def job_document(store: StoreRuntime, conn: sqlite3.Connection, job: JobRow, printer: PrinterRow) -> Document:
    """The document a queued job prints, read now from what the store recorded."""
    paper = paper_of(printer)
    if job.kind == "receipt":
        return receipt_document(receipt(store, recorded_sale(conn, job.subject), job.reprint), paper)
    if job.kind == "void":
        return void_document(void_slip(store, recorded_sale(conn, job.subject), job.reprint), paper)
    if job.kind == "coupon":
        return coupon_document(coupon_slip(store, conn, job.subject), paper)
    if job.kind == "poster":
        standee = join_repo.standee(conn, job.subject)
        if standee is None:
            raise NotFound(f"no standee {job.subject}", [FieldError("standee_id", "no such standee")])
        out = standee_out(store, standee)
        return poster_document(store.config.name, out.url, out.short_url, standee.label, paper)
    return printer_test_page(printer.name, printer.url, paper)


def preview_document(store: StoreRuntime, sale_id: str, width_mm: int) -> Document:
    """A sale's receipt (or, for a voided sale, its receipt marked voided) for the POS screen."""
    sale = recorded_sale(store.reader.conn, sale_id)
    return receipt_document(receipt(store, sale, reprint=False), PAPERS[width_mm])
