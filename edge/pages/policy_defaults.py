"""The default membership terms and privacy policy, in zh-CN and English.

A store publishes its own texts (`POST /api/v1/policies`); until it does, and for any text it leaves
out, these are shown with the store's name filled in. They describe what this service really does
with the data, so a store that changes the service's behaviour must change them too. "## " starts a
heading; a blank line starts a paragraph.
"""

TERMS_ZH = """## 会员条款

欢迎加入 {store_name} 会员。加入即表示您同意以下条款。

## 加入
用手机号加入，一个手机号只对应一个会员。加入免费，不需要付款。

## 会员权益
会员按等级享受折扣和积分。等级由累计消费决定，升级后不会因退货而降级。门店的会员日、生日、周年和新人优惠以活动说明为准，每张优惠券写明使用条件和有效期。

## 积分
积分按实付金额累计，消费后有一段保留期（默认 7 天）才可使用，退货会收回对应积分。积分在获得一年后按先到先过期的方式失效。积分不能兑换现金。

## 优惠券
优惠券只能本人使用，每张只能用一次，过期作废。退货时未过期的优惠券会退回。

## 邀请好友
好友用您的邀请码或链接加入并完成首笔消费后，双方各得一张优惠券，每人可得的数量以活动说明为准。

## 变更与注销
条款更新时，我们会在加入页面显示新版本。您可以随时在会员页注销会员，注销后个人信息将被删除。
"""

TERMS_EN = """## Membership terms

Welcome to {store_name} membership. By joining you agree to these terms.

## Joining
You join with your mobile number; one number is one membership. Joining is free and needs no payment.

## Benefits
Members get the discount and points of their tier. Your tier follows your total spend and is not lowered by a return. Member days, birthday, anniversary and welcome offers are as each offer states; every coupon shows its conditions and expiry.

## Points
Points are earned on what you pay. They are held for a few days after a purchase (7 by default) before you can use them, and a return takes them back. Points expire one year after they were earned, oldest first. Points cannot be exchanged for cash.

## Coupons
A coupon is for your own use, once, before it expires. A return gives back an unexpired coupon.

## Inviting friends
When a friend joins with your code or link and completes a first purchase, you both get a coupon, up to the number the offer states.

## Changes and leaving
When these terms change, the join page shows the new version. You can delete your membership on your member page at any time; your personal data is then deleted.
"""

PRIVACY_ZH = """## 隐私政策

{store_name} 如何使用您的个人信息。

## 我们收集什么
- 手机号：识别会员、防止重复加入。
- 生日（月和日，可选）：只用于生日优惠。不填不影响其他权益。
- 消费记录、积分和优惠券：计算等级、积分和优惠。
- 付款身份（可选，需您单独同意）：只保存微信支付/支付宝付款身份的加密摘要，不保存原始账号，用于付款时自动识别会员。

## 如何保存和传输
信息保存在门店的设备上。发送到总部时，手机号以加密摘要和部分隐藏的形式（如 138****8000）传输。日志中不记录手机号和付款账号。

## 营销通知
只有在您同意后我们才会发送优惠通知。您可以随时在会员页取消。

## 您的权利
在会员页您可以：下载我们保存的您的全部数据；取消营销通知或付款身份关联；注销会员并删除个人信息（已完成的交易记录会保留，但不再与您关联）。

## 版本
您同意的版本号会与您的同意记录一起保存。
"""

PRIVACY_EN = """## Privacy policy

How {store_name} uses your personal data.

## What we keep
- Your mobile number: to recognise you and to keep one membership per person.
- Your birthday (month and day, optional): only for birthday offers. Leaving it out changes nothing else.
- Your purchases, points and coupons: to work out your tier, points and offers.
- Your payer identity (optional, with your separate consent): only a keyed digest of your WeChat Pay / Alipay identity, never the account itself, so that paying recognises you.

## How it is kept and sent
Your data is kept on the store's own device. When it is sent to head office, your number travels as a keyed digest and a masked form (such as 138****8000). Logs never record numbers or payer accounts.

## Offers
We send offers only if you agreed to receive them. You can stop them on your member page at any time.

## Your rights
On your member page you can download all the data we keep about you, stop offers or unlink your payer identity, and delete your membership and personal data (completed purchases stay on record, no longer linked to you).

## Version
The version you agreed to is kept with your consent.
"""

DEFAULTS: dict[str, dict[str, str]] = {
    "terms": {"zh": TERMS_ZH, "en": TERMS_EN},
    "privacy": {"zh": PRIVACY_ZH, "en": PRIVACY_EN},
}
