"""Pages for the store's own people: the till (lane key), the customer display, the manager page.

A browser cannot send a bearer key on every request, so the key is typed once at /staff/login and
its role kept in a signed cookie (12 hours) that ends with the key that signed in. Forms carry a CSRF token like the public ones.
"""

import hashlib
from typing import Annotated, Literal
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import QueryParameter

from ..api.deps import StoreDep
from ..api.params import PathId, PathSeq
from ..api.standees import poster_response
from ..domain.errors import StoreEdgeError
from ..domain.identity import mask_name
from ..domain.join_rate import business_day
from ..domain.member_code import looks_like_code
from ..domain.offer_texts import yuan
from ..schemas import EnrolIn, StandeeIn
from ..services import join, members, open_checkouts, policies, printing, profile, reports
from .web import client_address, csrf, csrf_ok, form_birthday, page, redirect, staff_cookie, staff_role

PosterSize = Annotated[Literal["a4", "a5", "80mm"], QueryParameter(name="size")]
PAGE_ROLES = {"/till": ("lane",), "/display": ("lane",), "/manager": ("manager",)}


def page_after_login(next_: object) -> str:
    """Where a sign-in goes next: a staff page of this service, or the till.

    `next` arrives from the query or the form and picks the role a key must have, so it is looked up
    only once it is known to name one of PAGE_ROLES' pages (no open redirect, no unknown key)."""
    text = str(next_ or "")
    if not text.startswith("/") or text.startswith("//") or not roles_for(text) or len(text) > 200:
        return "/till"
    return text


def roles_for(path: str) -> tuple[str, ...]:
    """The roles a staff page takes, by its first path segment; none for anything else."""
    return PAGE_ROLES.get("/" + path.split("?", 1)[0].strip("/").split("/")[0], ())


def _needs(request: Request, store, path: str) -> Response[str] | None:  # noqa: ANN001
    """A redirect to sign in unless the staff cookie grants a role this page takes."""
    role = staff_role(request, store)
    if role in roles_for(path):
        return None
    return redirect("/staff/login?" + urlencode({"next": path}, safe="/"))


def _form_error(exc: StoreEdgeError) -> str:
    return "; ".join(f"{e.field}: {e.reason}" for e in exc.errors) or exc.detail


def till_page(request: Request, store, lane_id: str, cashier_id: str, status: int = 200,  # noqa: ANN001
              **context: object) -> Response[str]:
    token, cookies = csrf(request, store, "staff")
    return page("till.html", status, cookies=cookies, store_name=store.config.name, csrf=token, lane_id=lane_id,
                cashier_id=cashier_id, **context)


async def _till_form(request: Request, store) -> Response[str] | tuple[dict, str, str]:  # noqa: ANN001
    """A till form post from a signed-in lane with its CSRF token: (form, lane, cashier), or the page to answer."""
    if (denied := _needs(request, store, "/till")) is not None:
        return denied
    form = dict(await request.form())
    lane_id, cashier_id = str(form.get("lane_id", "L1"))[:64], str(form.get("cashier_id", "C1"))[:64]
    if not csrf_ok(request, store, "staff", form.get("csrf")):
        return till_page(request, store, lane_id, cashier_id, 403, error="页面已过期，请刷新 Reload the page")
    return form, lane_id, cashier_id


def display_state(checkout) -> str:  # noqa: ANN001
    """What the display shows, as a short fingerprint the page polls to know when to reload: any
    change to the checkout (a re-quote, a join, payment, cancelling) changes it."""
    if checkout is None:
        return "idle"
    return hashlib.sha256(msgspec.json.encode(checkout)).hexdigest()[:16]


def member_greeting(member) -> str:  # noqa: ANN001 - MemberSummary
    """The member as the display names them: the masked name, or the masked phone."""
    return mask_name(member.name) if member.name else member.phone_masked


class StaffPages(Controller):
    path = ""
    include_in_schema = False

    @get("/staff/login", sync_to_thread=False)
    def login_form(self, request: Request, store: StoreDep,
                   next_: Annotated[str, QueryParameter(name="next")] = "/till") -> Response[str]:
        token, cookies = csrf(request, store, "staff")
        next_ = page_after_login(next_)
        role = "manager" if next_.startswith("/manager") else "lane"
        return page("login.html", cookies=cookies, store_name=store.config.name, csrf=token, next=next_, role=role)

    @post("/staff/login")
    async def login(self, request: Request, store: StoreDep) -> Response[str]:
        form = dict(await request.form())
        next_ = page_after_login(form.get("next"))
        role = "manager" if next_.startswith("/manager") else "lane"
        if not request.app.state.rate_limits.address.allow(client_address(request)):
            return page("login.html", 429, store_name=store.config.name, csrf="", next=next_, role=role,
                        error="请求太频繁 Too many attempts")
        if not csrf_ok(request, store, "staff", form.get("csrf")):
            return page("login.html", 403, store_name=store.config.name, csrf="", next=next_, role=role,
                        error="页面已过期，请刷新 The page expired: reload it")
        found = request.app.state.key_verifier.key(str(form.get("key", "")).strip())
        if found is None or found[1] not in roles_for(next_):
            token, _ = csrf(request, store, "staff")
            return page("login.html", 401, store_name=store.config.name, csrf=token, next=next_, role=role,
                        error="密钥无效 That key is not valid here")
        key_id, granted = found
        return redirect(next_, [staff_cookie(store, granted, key_id)])

    # --- till ------------------------------------------------------------------------------------

    @get("/till", sync_to_thread=False)
    def till(self, request: Request, store: StoreDep,
             lane_id: Annotated[str, QueryParameter(name="lane", max_length=64)] = "L1",
             cashier_id: Annotated[str, QueryParameter(name="cashier", max_length=64)] = "C1") -> Response[str]:
        return _needs(request, store, "/till") or till_page(request, store, lane_id, cashier_id)

    @post("/till/lookup")
    async def till_lookup(self, request: Request, store: StoreDep) -> Response[str]:
        checked = await _till_form(request, store)
        if isinstance(checked, Response):
            return checked
        form, lane_id, cashier_id = checked
        q = str(form.get("q", "")).strip()[:200]
        try:
            member = await (members.find_async(store, code=q) if looks_like_code(q) else members.find_async(store, phone=q))
        except StoreEdgeError as exc:
            not_found = exc.status == 404 and not looks_like_code(q)
            return till_page(request, store, lane_id, cashier_id, exc.status, q=q, error=_form_error(exc),
                             offer_enrol=not_found, phone=q if not_found else None)
        return till_page(request, store, lane_id, cashier_id, q=q,
                         member=members.summary(member, store.reference().tiers), birthday=member.birthday)

    @post("/till/enrol")
    async def till_enrol(self, request: Request, store: StoreDep) -> Response[str]:
        checked = await _till_form(request, store)
        if isinstance(checked, Response):
            return checked
        form, lane_id, cashier_id = checked
        phone = str(form.get("phone", ""))[:40]
        try:
            birthday = form_birthday(form)
        except ValueError as exc:
            return till_page(request, store, lane_id, cashier_id, 422, error=f"birthday: {exc}", offer_enrol=True,
                             phone=phone)
        invite = str(form.get("referral_code", "")).strip()[:40]
        try:
            body = msgspec.convert({"phone": phone, "source": "cashier", "lane_id": lane_id, "cashier_id": cashier_id,
                                    "consent": {"policy_version": policies.current(store).version,
                                                "granted": form.get("consent") == "yes",
                                                "marketing": form.get("marketing") == "yes"},
                                    "birthday": birthday, "referral_code": invite.replace(" ", "") or None}, EnrolIn)
            member, created = await members.enrol(store, body)
        except msgspec.ValidationError as exc:
            return till_page(request, store, lane_id, cashier_id, 422, error=str(exc), offer_enrol=True, phone=phone)
        except StoreEdgeError as exc:
            return till_page(request, store, lane_id, cashier_id, exc.status, error=_form_error(exc),
                             offer_enrol=True, phone=phone)
        return till_page(request, store, lane_id, cashier_id, 201 if created else 200, enrolled=created,
                         member=members.summary(member, store.reference().tiers), birthday=member.birthday)

    @post("/till/birthday")
    async def till_birthday(self, request: Request, store: StoreDep) -> Response[str]:
        """The cashier corrects a member's birthday (month and day) as the member says it, or clears it."""
        checked = await _till_form(request, store)
        if isinstance(checked, Response):
            return checked
        form, lane_id, cashier_id = checked
        member_id = str(form.get("member_id", ""))[:64]
        try:
            birthday = form_birthday(form)
            member = await profile.set_birthday(store, member_id, birthday, "till")
        except ValueError as exc:
            found = members.find(store, member_id=member_id)
            return till_page(request, store, lane_id, cashier_id, 422, error=f"birthday: {exc}",
                             member=members.summary(found, store.reference().tiers), birthday=found.birthday)
        except StoreEdgeError as exc:
            return till_page(request, store, lane_id, cashier_id, exc.status, error=_form_error(exc))
        return till_page(request, store, lane_id, cashier_id, member=members.summary(member, store.reference().tiers),
                         birthday=member.birthday, updated=True)

    # --- customer display ------------------------------------------------------------------------

    @get("/display/{lane_id:str}", sync_to_thread=False)
    def display(self, request: Request, store: StoreDep, lane_id: PathId) -> Response[str]:
        if (denied := _needs(request, store, f"/display/{lane_id}")) is not None:
            return denied
        checkout = open_checkouts.lane_checkout(store, lane_id)
        qr_src = None
        if checkout is not None and checkout.join is not None:
            qr_src = "/j/" + checkout.join.qr_png_url.split("/j/", 1)[1]
        quote = checkout.quote if checkout is not None else None
        # joined through the QR since the lane's last quote: the pitched total is what the re-quote will say
        pitched = quote.join if quote is not None and quote.member is None and checkout.member is not None else None
        return page("display.html", store_name=store.config.name, lane_id=lane_id, checkout=checkout, quote=quote,
                    state=display_state(checkout), qr_src=qr_src, pitched=pitched, yuan=yuan,
                    greeting=member_greeting(checkout.member) if checkout is not None and checkout.member else None)

    @get("/display/{lane_id:str}/state", sync_to_thread=False)
    def display_poll(self, request: Request, store: StoreDep, lane_id: PathId) -> Response[str]:
        if staff_role(request, store) != "lane":
            return Response("signed-out", status_code=401, media_type="text/plain")
        return Response(display_state(open_checkouts.lane_checkout(store, lane_id)), media_type="text/plain",
                        headers={"Cache-Control": "no-store"})

    # --- manager ---------------------------------------------------------------------------------

    @get("/manager", sync_to_thread=False)
    def manager(self, request: Request, store: StoreDep) -> Response[str]:
        if (denied := _needs(request, store, "/manager")) is not None:
            return denied
        token, cookies = csrf(request, store, "staff")
        day = business_day(store.clock(), store.tz, store.config.day_start).isoformat()
        by = {key: reports.join_rate_report(store, day, day, key) for key in ("lane", "cashier", "source")}
        return page("manager.html", cookies=cookies, store_name=store.config.name, csrf=token, day=day,
                    total=by["lane"].total, rates={k: v.rows for k, v in by.items()},
                    standees=join.list_standees(store), failed_prints=printing.failed_jobs(store))

    @post("/manager/standees")
    async def create_standee(self, request: Request, store: StoreDep) -> Response[str]:
        if (denied := _needs(request, store, "/manager")) is not None:
            return denied
        form = dict(await request.form())
        if not csrf_ok(request, store, "staff", form.get("csrf")):
            return redirect("/manager")
        try:
            data = msgspec.convert({"label": form.get("label", ""), "location": form.get("location", ""),
                                    "welcome_campaign_id": form.get("welcome_campaign_id") or None}, StandeeIn)
        except msgspec.ValidationError:
            return redirect("/manager")
        await join.create_standee(store, data)
        return redirect("/manager")

    @post("/manager/standees/{standee_id:str}/revoke")
    async def revoke_standee(self, request: Request, store: StoreDep, standee_id: PathId) -> Response[str]:
        if (denied := _needs(request, store, "/manager")) is not None:
            return denied
        form = dict(await request.form())
        if csrf_ok(request, store, "staff", form.get("csrf")):
            await join.revoke_standee(store, standee_id)
        return redirect("/manager")

    @post("/manager/print-jobs/{job_id:int}/reprint")
    async def reprint_job(self, request: Request, store: StoreDep, job_id: PathSeq) -> Response[str]:
        if (denied := _needs(request, store, "/manager")) is not None:
            return denied
        form = dict(await request.form())
        if csrf_ok(request, store, "staff", form.get("csrf")):
            try:
                await printing.reprint_job(store, job_id)
            except StoreEdgeError:  # reprinted from another tab a moment ago: the list shows what is left
                pass
        return redirect("/manager")

    @get("/manager/standees/{standee_id:str}/poster.png", sync_to_thread=True)
    def poster_png(self, request: Request, store: StoreDep, standee_id: PathId, size: PosterSize = "a4") -> Response:
        return _needs(request, store, "/manager") or poster_response(store, standee_id, size, "png")

    @get("/manager/standees/{standee_id:str}/poster.pdf", sync_to_thread=True)
    def poster_pdf(self, request: Request, store: StoreDep, standee_id: PathId, size: PosterSize = "a4") -> Response:
        return _needs(request, store, "/manager") or poster_response(store, standee_id, size, "pdf")
