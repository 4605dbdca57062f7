"""The member page `/m` (a session cookie set when the member joined on this phone) and its rights."""

import msgspec
from litestar import Controller, Request, Response, get, post

from printers.qr import qr_png

from ..api.deps import StoreDep
from ..api.params import PathToken
from ..domain.member_code import make_code, time_step
from ..domain.offer_texts import offer_line, referral_hint
from ..domain.tokens import TokenRefused
from ..services import join, join_offers, member_links, member_rights, profile, referrals
from ..services.coupons import with_coupons
from ..services.members import summary
from .join_pages import REFUSED_STATUS
from .texts import TEXTS
from .web import (
    MEMBER_COOKIE,
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


def no_session(store, lang: str) -> Response[str]:  # noqa: ANN001
    return message(store, lang, 401, "no_session", "no-session")


class MemberPages(Controller):
    path = "/m"
    include_in_schema = False

    @get("", sync_to_thread=False)
    def show(self, request: Request, store: StoreDep) -> Response[str]:
        lang = lang_of(request)
        member = member_rights.session_member(store, request.cookies.get(MEMBER_COOKIE))
        if member is None:
            return no_session(store, lang)
        token, cookies = csrf(request, store, "member")
        notice = TEXTS[lang]["updated"] if request.query_params.get("updated") else None
        birthday_offer = join_offers.birthday_offer(store)
        t = TEXTS[lang]
        why = (t["birthday_why_offer"].format(offer=offer_line(birthday_offer, lang, join_offers.sku_names(store)))
               if birthday_offer is not None else t["birthday_why"])
        return page("member.html", 200, lang, cookies=cookies, store_name=store.config.name,
                    member=with_coupons(store, summary(member, store.reference().tiers)), csrf=token,
                    overview=profile.overview(store, member), birthday=member.birthday, birthday_why=why,
                    referral_hint=referral_hint(join_offers.referral_reward(store))[0 if lang == "zh" else 1],
                    error=t["err_birthday"] if request.query_params.get("error") == "birthday" else None,
                    policy_version=member_rights.accepted_version(store, member.member_id),
                    step=time_step(store.clock()), referral_url=join.referral_offer(store, member.member_id).url,
                    referral_code=referrals.code_for(store, member.member_id), notice=notice,
                    welcome=bool(request.query_params.get("welcome")),
                    coupon=bool(request.query_params.get("coupon")))

    @get("/code.png", sync_to_thread=False, media_type="image/png")
    def code(self, request: Request, store: StoreDep) -> Response[bytes]:
        """The member's dynamic code as a QR: made fresh for the current 30 s step, never cached."""
        member = member_rights.session_member(store, request.cookies.get(MEMBER_COOKIE))
        if member is None:
            return Response(b"", status_code=401, media_type="image/png")
        png = qr_png(make_code(store.chain_key, member.member_id, store.clock()), 6)
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    @get("/data.json", sync_to_thread=False)
    def data(self, request: Request, store: StoreDep) -> Response[bytes]:
        member = member_rights.session_member(store, request.cookies.get(MEMBER_COOKIE))
        if member is None:
            return Response(b'{"error": "no member session"}', status_code=401, media_type="application/json")
        return Response(msgspec.json.encode(member_rights.data_export(store, member)), media_type="application/json",
                        headers={"Content-Disposition": 'attachment; filename="my-membership.json"',
                                 "Cache-Control": "no-store"})

    @get("/open/{link:str}")
    async def open_link(self, request: Request, store: StoreDep, link: PathToken) -> Response[str]:
        """A single-use link from the till or a receipt: spends it, sets the session cookie, shows the page."""
        try:
            session = await member_links.open_link(store, link)
        except TokenRefused as exc:
            return message(store, lang_of(request), REFUSED_STATUS[exc.reason], "refused", exc.reason,
                           body_key=f"refused_{exc.reason}")
        return redirect("/m", [member_cookie(session, int(join.SESSION_LIFETIME.total_seconds()))])

    @get("/open/{link:str}/qr.png", sync_to_thread=False, media_type="image/png")
    def link_qr(self, store: StoreDep, link: PathToken) -> Response[bytes]:
        """The link's QR for the till screen; only for links this store signed, not spent by showing it."""
        try:
            member_links.verify_link(store, link)
        except TokenRefused as exc:
            return Response(b"", status_code=REFUSED_STATUS[exc.reason], media_type="image/png")
        return Response(qr_png(member_links.page_url(store, link)), media_type="image/png",
                        headers={"Cache-Control": "no-store"})

    @get("/{session:str}", sync_to_thread=False)
    def sign_in(self, request: Request, store: StoreDep, session: PathToken) -> Response[str]:
        """`/m/{member_session}`: a session link sets the cookie, then the page drops it from the URL."""
        if member_rights.session_member(store, session) is None:
            return no_session(store, lang_of(request))
        return redirect("/m", [member_cookie(session, int(join.SESSION_LIFETIME.total_seconds()))])

    @post("/consent")
    async def withdraw(self, request: Request, store: StoreDep) -> Response[str]:
        form = dict(await request.form())
        checked = await self._checked(request, store, form)
        if isinstance(checked, Response):
            return checked
        purpose = form.get("purpose")
        if purpose not in member_rights.PURPOSES:
            return page("message.html", 422, lang_of(request, form), store_name=store.config.name,
                        title="purpose", body="marketing | payment_link", reason="invalid")
        await member_rights.withdraw_consent(store, checked, str(purpose))
        return redirect(f"/m?updated=1&lang={lang_of(request, form)}")

    @post("/profile")
    async def update_profile(self, request: Request, store: StoreDep) -> Response[str]:
        """The member sets or corrects their birthday (month and day), or clears it."""
        form = dict(await request.form())
        lang = lang_of(request, form)
        checked = await self._checked(request, store, form)
        if isinstance(checked, Response):
            return checked
        try:
            birthday = form_birthday(form)
        except ValueError:
            return redirect(f"/m?error=birthday&lang={lang}")
        await profile.set_birthday(store, checked, birthday, "member_page")
        return redirect(f"/m?updated=1&lang={lang}")

    @post("/delete")
    async def delete(self, request: Request, store: StoreDep) -> Response[str]:
        form = dict(await request.form())
        lang = lang_of(request, form)
        checked = await self._checked(request, store, form)
        if isinstance(checked, Response):
            return checked
        if form.get("confirm") != "yes":
            return redirect(f"/m?lang={lang}")
        await member_rights.delete_membership(store, checked)
        resp = message(store, lang, 200, "deleted", "deleted")
        resp.delete_cookie(MEMBER_COOKIE, path="/")
        return resp

    async def _checked(self, request: Request, store, form: dict) -> str | Response[str]:  # noqa: ANN001
        """The member id behind a form post with a session, a CSRF token and room in the rate limit."""
        lang = lang_of(request, form)
        if not request.app.state.rate_limits.address.allow(client_address(request)):
            return limited(store, lang)
        member = member_rights.session_member(store, request.cookies.get(MEMBER_COOKIE))
        if member is None:
            return no_session(store, lang)
        if not csrf_ok(request, store, "member", form.get("csrf")):
            return form_expired(store, lang)
        return member.member_id
