"""What a join promises, in words built from the offer actually attached. Pure: no storage, no clock.

Every text a customer reads about joining (the poster, the join page, the customer display) comes
from here, so it can only say what the attached offer gives: a standee without a welcome campaign
does not promise a coupon, and a checkout pitch names a saving only when the engine found one.
"""

from collections.abc import Callable

import msgspec

from .campaigns import AmountOff, Campaign, CouponInstances, FixedPrice, PercentOff, PointsMultiplier
from .models import Tier

Lang = str  # "zh" | "en"


def yuan(fen: int) -> str:
    """¥12.50 (integer arithmetic, never a float)."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}¥{fen // 100}.{fen % 100:02d}"


def _short_yuan(fen: int) -> str:
    """¥20, or ¥20.50 when there are fen: for conditions, where whole yuan read better."""
    return f"¥{fen // 100}" if fen % 100 == 0 else yuan(fen)


def decimal_text(hundredths: int) -> str:
    """1250 -> "12.5", 500 -> "5": a count of hundredths as a short decimal, with integers only."""
    whole, part = divmod(hundredths, 100)
    return f"{whole}" if part == 0 else f"{whole}.{part:02d}".rstrip("0")


def zhe(bps: int) -> str:
    """A percent-off in the Chinese 折 form: 2000 bps off is 8折, 500 off is 95折, 1250 off is 87.5折."""
    pay = 10_000 - bps  # what is paid, in basis points
    if pay % 1000 == 0:
        return f"{pay // 1000}折"
    return f"{decimal_text(pay)}折"


def benefit_text(c: Campaign, lang: Lang) -> str:
    """What the offer gives: "满减 ¥5" style in zh, "¥5.00 off" in en."""
    per_unit = c.applies_to == "unit"
    match c.benefit:
        case PercentOff(bps=bps):
            return zhe(bps) if lang == "zh" else f"{decimal_text(bps)}% off"
        case AmountOff(fen=fen):
            if lang == "zh":
                return f"每件减{_short_yuan(fen)}" if per_unit else f"减{_short_yuan(fen)}"
            return f"{_short_yuan(fen)} off each" if per_unit else f"{_short_yuan(fen)} off"
        case FixedPrice(fen=fen):
            return f"特价{_short_yuan(fen)}" if lang == "zh" else f"{_short_yuan(fen)} each"
        case PointsMultiplier(pct=pct):
            return f"{decimal_text(pct)}倍积分" if lang == "zh" else f"{decimal_text(pct)}x points"
    return ""


def conditions_text(c: Campaign, lang: Lang, sku_name: Callable[[str, Lang], str | None] | None = None,
                    validity: bool = True) -> list[str]:
    """The conditions a customer must know: minimum spend, what it applies to, when, how long it lasts
    (`validity`: how long a coupon is valid once issued; an issued one shows its own expiry instead)."""
    out: list[str] = []
    cond = c.conditions
    if cond.min_spend_fen:
        out.append(f"满{_short_yuan(cond.min_spend_fen)}可用" if lang == "zh"
                   else f"on orders of {_short_yuan(cond.min_spend_fen)} or more")
    names = [sku_name(s, lang) for s in c.scope.skus or []] if sku_name else []
    if c.scope.skus and names and all(names) and len(names) <= 3:
        out.append(("限" + "、".join(names)) if lang == "zh" else "on " + ", ".join(names))  # type: ignore[arg-type]
    elif c.scope.skus or c.scope.categories:
        out.append("限指定商品" if lang == "zh" else "on selected items")
    if cond.weekdays:
        zh_days = "一二三四五六日"
        en_days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        days = sorted(set(cond.weekdays))
        out.append(("每周" + "、".join(zh_days[d - 1] for d in days)) if lang == "zh"
                   else "on " + ", ".join(en_days[d - 1] for d in days))
    if cond.time_from and cond.time_to:
        out.append(f"{cond.time_from}-{cond.time_to}")
    if cond.date_to:
        out.append(f"{cond.date_to} 前有效" if lang == "zh" else f"until {cond.date_to}")
    if validity and isinstance(c.issuance, CouponInstances):
        days = c.issuance.valid_days
        out.append(f"领取后{days}天内有效" if lang == "zh" else f"valid {days} days")
    return out


def offer_line(c: Campaign, lang: Lang, sku_name: Callable[[str, Lang], str | None] | None = None) -> str:
    """「新人立减5元」减¥5，满¥20可用，领取后14天内有效 / "Welcome ¥5 off": ¥5 off, on orders of ¥20 or more."""
    name = c.name_zh if lang == "zh" else c.name_en
    parts = [benefit_text(c, lang), *conditions_text(c, lang, sku_name)]
    if lang == "zh":
        return f"「{name}」" + "，".join(p for p in parts if p)
    return f"\u201c{name}\u201d: " + ", ".join(p for p in parts if p)


class Promise(msgspec.Struct, frozen=True, kw_only=True):
    """What a join QR says, in both languages: a headline for the poster or page, a lead sentence."""

    headline_zh: str
    headline_en: str
    lead_zh: str
    lead_en: str
    coupon: bool = False  # a coupon is part of the promise: the member page will show it
    detail_zh: str = ""  # the offer in one line (benefit and conditions), for a poster
    detail_en: str = ""

    def headline(self, lang: Lang) -> str:
        return self.headline_zh if lang == "zh" else self.headline_en

    def lead(self, lang: Lang) -> str:
        return self.lead_zh if lang == "zh" else self.lead_en


def tier_gives(tier: Tier, lang: Lang) -> list[str]:
    """What a tier gives beyond the entry: its discount and its points multiplier."""
    out = []
    if tier.discount_bps:
        out.append(f"会员价{zhe(tier.discount_bps)}" if lang == "zh" else f"{decimal_text(tier.discount_bps)}% off")
    if tier.points_multiplier_pct != 100:
        times = decimal_text(tier.points_multiplier_pct)
        out.append(f"{times}倍积分" if lang == "zh" else f"{times}x points")
    return out


def _membership_lead(entry: Tier) -> tuple[str, str]:
    """What joining gives anyone, from the entry tier: its discount if it has one, points always."""
    if entry.discount_bps:
        return (f"会员享{zhe(entry.discount_bps)}，消费即得积分。",
                f"Members get {decimal_text(entry.discount_bps)}% off and earn points on every purchase.")
    return "成为会员，消费即得积分。", "Members earn points on every purchase."


def standee_promise(welcome: Campaign | None, entry: Tier,
                    sku_name: Callable[[str, Lang], str | None] | None = None) -> Promise:
    """A standee's poster and join page: its welcome coupon if it has one, else membership itself."""
    zh, en = _membership_lead(entry)
    if welcome is None:
        return Promise(headline_zh="扫码入会", headline_en="Scan to join",
                       lead_zh="留下手机号，立即成为会员。" + zh, lead_en="Leave your mobile number to join. " + en)
    return Promise(headline_zh=f"扫码入会 领{welcome.name_zh}", headline_en=f"Scan to join · get {welcome.name_en}",
                   lead_zh=f"留下手机号，立即成为会员，领取新人券{offer_line(welcome, 'zh', sku_name)}。",
                   lead_en=f"Leave your mobile number to join and get your welcome coupon "
                           f"{offer_line(welcome, 'en', sku_name)}.",
                   coupon=True, detail_zh="新人券" + offer_line(welcome, "zh", sku_name),
                   detail_en="Welcome coupon " + offer_line(welcome, "en", sku_name))


def receipt_promise(points: int, entry: Tier) -> Promise:
    """A receipt's QR (printed and on its join page): the points of that sale, when there are any."""
    zh, en = _membership_lead(entry)
    if points <= 0:
        return Promise(headline_zh="扫码加入会员", headline_en="Scan to join", lead_zh="加入会员。" + zh,
                       lead_en="Join now. " + en)
    return Promise(headline_zh=f"扫码入会 本单{points}积分立即到账", headline_en=f"Join now: {points} points for this receipt",
                   lead_zh=f"加入会员，这张小票的 {points} 积分立即记入。",
                   lead_en=f"Join now and this receipt's {points} points are yours.")


def referral_promise(reward: Campaign | None, entry: Tier) -> Promise:
    """A member's invite link: the referral reward when the store runs one."""
    zh, en = _membership_lead(entry)
    if reward is None:
        return Promise(headline_zh="好友邀请你入会", headline_en="A friend invited you to join",
                       lead_zh="好友邀请你加入会员。" + zh, lead_en="A friend invited you to join. " + en)
    return Promise(headline_zh="好友邀请你入会", headline_en="A friend invited you to join",
                   lead_zh=f"好友邀请你加入会员：你完成首单后，你们各得一张{offer_line(reward, 'zh')}。",
                   lead_en=f"A friend invited you to join: after your first purchase you both get "
                           f"{offer_line(reward, 'en')}.",
                   coupon=False)


def checkout_promise(saving_fen: int, total_if_joined_fen: int, points: int, welcome_later: Campaign | None,
                     entry: Tier, sku_name: Callable[[str, Lang], str | None] | None = None,
                     welcome_now: Campaign | None = None) -> Promise:
    """The pitch for a non-member's checkout, from what the engine priced for them as a member.

    A saving is named only when there is one; otherwise what joining does give: the points on this
    order and a welcome coupon for next time (one that cannot apply to this cart)."""
    if saving_fen > 0:
        zh = f"入会后本单只需 {yuan(total_if_joined_fen)}"
        en = f"As a member you pay {yuan(total_if_joined_fen)} for this order"
        if welcome_now is not None:
            zh += f"（含新人券「{welcome_now.name_zh}」）"
            en += f" (with the welcome coupon \u201c{welcome_now.name_en}\u201d)"
        if points > 0:
            zh += f"，另得 {points} 积分"
            en += f" and earn {points} points"
        return Promise(headline_zh=f"入会本单立省 {yuan(saving_fen)}",
                       headline_en=f"Join now: save {yuan(saving_fen)} on this order",
                       lead_zh=zh + "。", lead_en=en + ".")
    zh_parts: list[str] = []
    en_parts: list[str] = []
    if points > 0:
        zh_parts.append(f"本单可得 {points} 积分")
        en_parts.append(f"earn {points} points on this order")
    if welcome_later is not None:
        zh_parts.append(f"另得新人券{offer_line(welcome_later, 'zh', sku_name)}，下次使用")
        en_parts.append(f"get the welcome coupon {offer_line(welcome_later, 'en', sku_name)} for next time")
    if not zh_parts:
        zh, en = _membership_lead(entry)
        return Promise(headline_zh="扫码入会", headline_en="Scan to join", lead_zh="加入会员。" + zh,
                       lead_en="Join now. " + en)
    headline_zh = f"入会本单得 {points} 积分" if points > 0 else "扫码入会 领新人券"
    headline_en = f"Join now: {points} points on this order" if points > 0 else "Scan to join · get a welcome coupon"
    return Promise(headline_zh=headline_zh, headline_en=headline_en, lead_zh="加入会员，" + "，".join(zh_parts) + "。",
                   lead_en="Join now: " + "; ".join(en_parts) + ".", coupon=welcome_later is not None)


def referral_hint(reward: Campaign | None) -> tuple[str, str]:
    """What the member page tells a member about inviting friends: the referral reward, if the store runs one."""
    if reward is None:
        return "把链接或邀请码发给好友，邀请好友加入会员。", "Send a friend your link or code to invite them to join."
    return (f"好友用你的链接或邀请码入会，并完成首单后，你们各得一张{offer_line(reward, 'zh')}。",
            f"When a friend joins with your link or code and completes a first purchase, you both get "
            f"{offer_line(reward, 'en')}.")
