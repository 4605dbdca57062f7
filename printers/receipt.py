"""What a sale's receipt and a void slip say, and how they lie on 58 mm and 80 mm paper.

The models carry display-ready facts (names, fen, local times as text): the edge fills them from
the sale as recorded, so a receipt never states anything the sale did not.
"""

from msgspec import Struct

from .document import Document, Paper
from .layout import Page
from .text import cols, yuan

PAYMENT_NAMES = {"wechat_pay": ("微信支付", "WeChat Pay"), "alipay": ("支付宝", "Alipay"),
                 "card": ("银行卡", "Card"), "cash": ("现金", "Cash"), "unionpay": ("云闪付", "UnionPay"),
                 "other": ("其他", "Other")}


class Discount(Struct, frozen=True):
    name_zh: str
    name_en: str
    amount_fen: int


class ReceiptLine(Struct, frozen=True, kw_only=True):
    name_zh: str
    name_en: str
    qty: int
    unit_price_fen: int
    subtotal_fen: int
    total_fen: int
    discounts: list[Discount] = []


class MemberPart(Struct, frozen=True, kw_only=True):
    phone_masked: str
    tier_zh: str
    tier_en: str
    points_earned: int
    points_balance: int
    points_redeemed: int = 0
    points_held_until: str | None = None  # local date the earned points become usable


class JoinPart(Struct, frozen=True, kw_only=True):
    """The receipt's join QR and the one line saying what joining gives (the join page's offer)."""

    url: str
    pitch_zh: str
    pitch_en: str
    valid_until: str = ""  # local date the QR stops leading to a join


class MemberPagePart(Struct, frozen=True, kw_only=True):
    """A member's receipt: a single-use QR to their own page (their data, consents, deletion)."""

    url: str
    valid_until: str = ""  # local date the link stops opening the page


class Receipt(Struct, frozen=True, kw_only=True):
    store_name: str
    sale_id: str
    sold_at: str  # local "YYYY-MM-DD HH:MM"
    business_day: str
    lane_id: str
    cashier_id: str
    lines: list[ReceiptLine]
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    payment_method: str
    paid_fen: int
    member: MemberPart | None = None
    join: JoinPart | None = None
    reprint: bool = False
    voided: bool = False
    member_page: MemberPagePart | None = None


class VoidSlip(Struct, frozen=True, kw_only=True):
    store_name: str
    sale_id: str
    sold_at: str
    voided_at: str
    lane_id: str
    cashier_id: str
    reason: str
    total_fen: int
    payment_method: str
    member_phone_masked: str | None = None
    points_reversed: int = 0
    reprint: bool = False


def payment_name(method: str) -> tuple[str, str]:
    return PAYMENT_NAMES.get(method, (method, method))


def _header(page: Page, store_name: str, kind_zh: str, kind_en: str, reprint: bool) -> None:
    page.title(store_name)
    page.text(f"{kind_zh} {kind_en}", "center")
    if reprint:
        # a copy must say so: a second original could be used to claim a refund twice
        page.text("重印 REPRINT", "center", bold=True, big=True)
    page.feed()


def _sale_facts(page: Page, sale_id: str, sold_at: str, lane_id: str, cashier_id: str,
                business_day: str | None = None) -> None:
    page.row(page.label("单号", "No."), sale_id)
    page.row(page.label("时间", "Time"), sold_at)
    if business_day and not sold_at.startswith(business_day):
        page.row(page.label("营业日", "Business day"), business_day)  # after midnight: yesterday's day
    page.row(page.label("收银台", "Lane"), lane_id)
    page.row(page.label("收银员", "Cashier"), cashier_id)


def receipt_document(r: Receipt, paper: Paper) -> Document:
    """The receipt: header, sale facts, lines with each discount, totals, payment, then the
    member's points or, for a non-member, the join QR with what joining gives."""
    page = Page(paper, "receipt")
    _header(page, r.store_name, "购物小票", "Receipt", r.reprint)
    if r.voided:
        page.text("已作废 VOIDED", "center", bold=True, big=True)
    _sale_facts(page, r.sale_id, r.sold_at, r.lane_id, r.cashier_id, r.business_day)
    page.rule()
    page.row(page.label("商品", "Item"), page.label("金额", "Amount"), bold=True)
    for line in r.lines:
        name = f"{line.name_zh} {line.name_en}" if page.wide and line.name_en != line.name_zh else line.name_zh
        page.text(name)
        page.row(f"  {yuan(line.unit_price_fen)} x {line.qty}", yuan(line.subtotal_fen))
        for d in line.discounts:
            label = f"{d.name_zh} {d.name_en}" if page.wide and d.name_en else d.name_zh
            page.row(f"  {label}", yuan(-d.amount_fen))
    page.rule()
    page.row(page.label("小计", "Subtotal"), yuan(r.subtotal_fen))
    if r.discount_fen:
        page.row(page.label("优惠", "Discount"), yuan(-r.discount_fen))
    total_label, total = page.label("合计", "Total"), f"￥{yuan(r.total_fen)}"
    big = cols(total_label) + 1 + cols(total) <= page.cols // 2
    page.row(total_label, total, bold=True, big=big)
    zh, en = payment_name(r.payment_method)
    page.row(page.label(f"实付 {zh}", f"Paid {en}"), yuan(r.paid_fen))
    if r.member is not None:
        m = r.member
        page.rule()
        page.row(page.label("会员", "Member"), m.phone_masked)
        page.row(page.label("等级", "Tier"), f"{m.tier_zh} {m.tier_en}" if page.wide else m.tier_zh)
        if m.points_redeemed:
            page.row(page.label("积分抵扣", "Points used"), f"-{m.points_redeemed}")
        page.row(page.label("本单积分", "Points earned"), f"+{m.points_earned}")
        if m.points_held_until and m.points_earned:
            page.row(page.label("积分到账日", "Usable from"), m.points_held_until)
        page.row(page.label("积分余额", "Balance"), str(m.points_balance))
        if r.member_page is not None:
            page.text(page.label("扫码查看会员资料 下载或删除", "Scan: your member page, your data"), "center")
            page.qr(r.member_page.url)
            if r.member_page.valid_until:
                page.text(page.label(f"{r.member_page.valid_until} 前有效 仅限一次",
                                     f"once, until {r.member_page.valid_until}"), "center")
    elif r.join is not None:
        page.rule()
        page.text(r.join.pitch_zh, "center", bold=True)
        page.qr(r.join.url)
        page.text(r.join.pitch_en, "center")
        if r.join.valid_until:
            page.text(page.label(f"{r.join.valid_until} 前有效", f"valid until {r.join.valid_until}"), "center")
    page.rule()
    page.text("谢谢惠顾 欢迎再次光临", "center")
    page.text("Thank you", "center")
    return page.done()


def void_document(v: VoidSlip, paper: Paper) -> Document:
    """The void slip: which sale, when and why it was voided, what was given back."""
    page = Page(paper, "void")
    _header(page, v.store_name, "作废单", "Void slip", v.reprint)
    page.text("已作废 VOIDED", "center", bold=True, big=True)
    page.feed()
    _sale_facts(page, v.sale_id, v.sold_at, v.lane_id, v.cashier_id)
    page.row(page.label("作废时间", "Voided"), v.voided_at)
    page.rule()
    zh, en = payment_name(v.payment_method)
    page.row(page.label(f"退还 {zh}", f"Refund {en}"), f"￥{yuan(v.total_fen)}", bold=True)
    if v.member_phone_masked:
        page.row(page.label("会员", "Member"), v.member_phone_masked)
        if v.points_reversed:
            page.row(page.label("积分扣回", "Points reversed"), f"-{v.points_reversed}")
    page.text(page.label("原因：", "Reason: ") + v.reason)
    page.rule()
    page.text(page.label("收银员签字：", "Cashier signature:"))
    page.feed(2)
    return page.done()
