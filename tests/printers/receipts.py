"""Sample receipts for the printer tests: a member's and a non-member's, with Chinese everywhere.

(Imported by name: `from receipts import member_receipt, guest_receipt`.)
"""

from printers.receipt import Discount, JoinPart, MemberPart, Receipt, ReceiptLine

JOIN_URL = "http://127.0.0.1:8000/j/r1.eyJrIjoicmVjZWlwdCIsInMiOiJMMS0wMDAxMjMiLCJ4IjoxNzY0NjQ2NDAwfQ.abcdefghijk"


def _lines() -> list[ReceiptLine]:
    return [ReceiptLine(name_zh="拿铁", name_en="Latte", qty=2, unit_price_fen=3200, subtotal_fen=6400, total_fen=5600,
                        discounts=[Discount("金卡会员折扣", "Gold tier", 640), Discount("会员日加赠", "Member day", 160)]),
            ReceiptLine(name_zh="可颂（黄油）", name_en="Butter croissant", qty=1, unit_price_fen=1800,
                        subtotal_fen=1800, total_fen=1800)]


def member_receipt(**over) -> Receipt:
    values = dict(store_name="街角咖啡 徐汇店", sale_id="L1-000123", sold_at="2026-11-24 10:00",
                  business_day="2026-11-24", lane_id="L1", cashier_id="C7", lines=_lines(), subtotal_fen=8200,
                  discount_fen=800, total_fen=7400, payment_method="wechat_pay", paid_fen=7400,
                  member=MemberPart(phone_masked="138****8000", tier_zh="金卡", tier_en="Gold", points_earned=111,
                                    points_balance=1234, points_held_until="2026-12-01"))
    values.update(over)
    return Receipt(**values)


def guest_receipt(**over) -> Receipt:
    values = dict(store_name="街角咖啡 徐汇店", sale_id="L1-000124", sold_at="2026-11-25 01:30",
                  business_day="2026-11-24", lane_id="L1", cashier_id="C7", lines=_lines()[1:], subtotal_fen=1800,
                  discount_fen=0, total_fen=1800, payment_method="alipay", paid_fen=1800,
                  join=JoinPart(url=JOIN_URL, pitch_zh="扫码入会 本单18积分立即到账",
                                pitch_en="Join now: 18 points for this receipt"))
    values.update(over)
    return Receipt(**values)
