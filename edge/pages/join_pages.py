"""The public join page `/j/{token}` (and its QR image), and the short fallback URL `/s/{code}`."""

from litestar import Controller, Request, Response, get, post

from printers.qr import qr_png

from ..api.deps import StoreDep
from ..api.params import PathId, PathToken
from ..domain.errors import InvalidInput, NotFound
from ..domain.identity import phone_hash
from ..domain.offer_texts import offer_line
from ..domain.tokens import TokenRefused
from ..phones import normalise_phone
from ..schemas import ConsentIn
from ..services import join, join_offers, policies, referrals
from .texts import TEXTS
from .web import (
    client_address,
    csrf,
    csrf_ok,
    form_birthday,
    form_expired,
    lang_of,
    limited,
    member_cookie,
    message,
    page,
    redirect,
)

REFUSED_STATUS = {"tampered": 400, "expired": 410, "revoked": 410, "used": 410}


def refused(store, lang: str, reason: str) -> Response[str]:  # noqa: ANN001
    return message(store, lang, REFUSED_STATUS[reason], "refused", reason, body_key=f"refused_{reason}")


def join_form(request: Request, store, inv: join.Invitation, lang: str, status: int = 200,  # noqa: ANN001
              error: str | None = None, error_field: str | None = None, form: dict | None = None) -> Response[str]:
    """The join form with what this token's offer promises, the terms it links, and what was typed."""
    token, cookies = csrf(request, store, "join")
    form = form or {}
    birthday_offer = join_offers.birthday_offer(store)
    t = TEXTS[lang]
    why = (t["birthday_why_offer"].format(offer=offer_line(birthday_offer, lang, join_offers.sku_names(store)))
           if birthday_offer is not None else t["birthday_why"])
    return page("join.html", status, lang, cookies=cookies, store_name=store.config.name, kind=inv.token.kind,
                action=f"/j/{inv.text}", csrf=token, error=error, error_field=error_field,
                phone=str(form.get("phone", ""))[:40] or None, promise=join.promise_of(store, inv),
                policy_version=policies.current(store).version, birthday_why=why,
                birthday_month=str(form.get("birthday_month", ""))[:2], birthday_day=str(form.get("birthday_day", ""))[:2],
                show_invite=inv.token.kind != "referral", invite_code=str(form.get("invite_code", ""))[:40])


class JoinPages(Controller):
    path = ""
    include_in_schema = False

    @get("/j/{token:str}")
    async def show(self, request: Request, store: StoreDep, token: PathToken) -> Response[str]:
        lang = lang_of(request)
        if not request.app.state.rate_limits.address.allow(client_address(request)):
            return limited(store, lang)
        try:
            inv = join.invitation(store, token)
        except TokenRefused as exc:
            return refused(store, lang, exc.reason)
        await join.count_scan(store, inv)
        return join_form(request, store, inv, lang)

    @post("/j/{token:str}")
    async def submit(self, request: Request, store: StoreDep, token: PathToken) -> Response[str]:
        form = dict(await request.form())
        lang = lang_of(request, form)
        t = TEXTS[lang]
        limits = request.app.state.rate_limits
        if not limits.address.allow(client_address(request)):
            return limited(store, lang)
        if not csrf_ok(request, store, "join", form.get("csrf")):
            return form_expired(store, lang)
        try:
            inv = join.invitation(store, token)
        except TokenRefused as exc:
            return refused(store, lang, exc.reason)
        phone = str(form.get("phone", ""))[:40]
        try:
            e164 = normalise_phone(phone, store.config.region)
        except InvalidInput:
            return join_form(request, store, inv, lang, 422, t["err_phone"], "phone", form)
        if not limits.phone.allow(phone_hash(store.chain_key, e164)):
            return limited(store, lang)
        if form.get("consent") != "yes":
            return join_form(request, store, inv, lang, 422, t["err_consent"], "consent", form)
        accepted = policies.current(store).version
        shown = form.get("policy_version")
        # the terms changed since the form was shown (a form from before the field existed showed the current)
        if shown is not None and shown != accepted:
            return join_form(request, store, inv, lang, 409, t["err_policy"], "policy_version", form)
        try:
            birthday = form_birthday(form)
        except ValueError:
            return join_form(request, store, inv, lang, 422, t["err_birthday"], "birthday", form)
        referrer_id = None
        invite = str(form.get("invite_code", "")).strip()[:40]
        if invite and inv.token.kind != "referral":
            # each typed code costs a token of its own bucket: what keeps 8 characters unguessable
            if not limits.invite.allow(client_address(request)):
                return limited(store, lang)
            try:
                referrer_id = referrals.resolve_code(store.reader.conn, invite, "invite_code")
            except NotFound:
                return join_form(request, store, inv, lang, 422, t["err_invite"], "invite_code", form)
        consent = ConsentIn(policy_version=accepted, granted=True,
                            marketing=form.get("marketing") == "yes", payment_link=form.get("payment_link") == "yes")
        try:
            joined = await join.join(store, token, e164, consent, birthday=birthday, referrer_id=referrer_id)
        except TokenRefused as exc:
            return refused(store, lang, exc.reason)
        if not joined.created:  # no session for a number typed on a page: it may not be theirs
            return message(store, lang, 200, "already", "already-member",
                           body_key="already_checkout" if inv.token.kind == "checkout" else None)
        cookie = member_cookie(joined.session, int(join.SESSION_LIFETIME.total_seconds()))
        suffix = "&coupon=1" if joined.coupon else ""
        return redirect(f"/m?welcome=1&lang={lang}{suffix}", [cookie])

    @get("/j/{token:str}/qr.png", sync_to_thread=False, media_type="image/png")
    def qr(self, request: Request, store: StoreDep, token: PathToken) -> Response[bytes]:
        """The token's QR for displays and receipts; only for tokens this store signed."""
        try:
            join.tokens.verify(store.store_key, token, store.clock())
        except TokenRefused as exc:
            return Response(b"", status_code=REFUSED_STATUS[exc.reason], media_type="image/png")
        return Response(qr_png(join.token_url(store, token)), media_type="image/png",
                        headers={"Cache-Control": "private, max-age=60"})

    @get("/s/{short_code:str}", sync_to_thread=False)
    def short(self, request: Request, store: StoreDep, short_code: PathId) -> Response[str]:
        """The fallback URL printed under a standee's QR, for typing by hand."""
        found = join.standee_by_short_code(store, short_code)
        if found is None:
            return refused(store, lang_of(request), "tampered")
        return redirect("/j/" + join.tokens.sign(store.store_key, join.tokens.standee_token(found.standee_id)))
