"""Campaigns and coupons for the store manager; coupons of a member for the lane."""

from typing import Annotated

from litestar import Controller, Request, Response, get, post, put
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from msgspec import Struct

from ..domain.campaigns import EXAMPLES, Campaign
from ..domain.ids import uuid7
from ..domain.points import PointsPolicy
from ..schemas import CampaignOut, CouponOut, Id, SegmentsOut
from ..services import campaigns, coupons, points, referrals, segments, upkeep
from .auth import roles
from .deps import StoreDep
from .params import PathId

CampaignBody = Annotated[Campaign, Body(
    title="Campaign", description="A local campaign; one worked example per kind.",
    examples=[Example(summary=kind, value=value) for kind, value in EXAMPLES.items()])]


class CouponIssueIn(Struct, forbid_unknown_fields=True):
    campaign_id: Id
    member_id: Id


class ReferralCodeOut(Struct):
    member_id: str
    referral_code: str


class CampaignController(Controller):
    path = "/api/v1"
    tags = ["campaigns"]

    @get("/campaigns", opt=roles("manager"), sync_to_thread=False)
    def list_campaigns(self, store: StoreDep) -> list[CampaignOut]:
        """Every active campaign: local ones and those HQ sent down (origin hq)."""
        return campaigns.list_campaigns(store)

    @post("/campaigns", opt=roles("manager"), status_code=HTTP_201_CREATED,
          responses={200: ResponseSpec(data_container=CampaignOut, description="replaced a local campaign")})
    async def save_campaign(self, store: StoreDep, data: CampaignBody) -> Response[CampaignOut]:
        """Create a local campaign (201) or replace one with the same id (200). HQ campaigns are 409."""
        out, created = await campaigns.save_campaign(store, data)
        return Response(out, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @post("/coupons", opt=roles("manager"), status_code=HTTP_201_CREATED)
    async def issue_coupon(self, store: StoreDep, request: Request,
                           data: Annotated[CouponIssueIn, Body()]) -> CouponOut:
        """Give a member a coupon of a coupon campaign. An `Idempotency-Key` header makes retries safe."""
        key = request.headers.get("idempotency-key") or uuid7()  # no key: every call is a new coupon
        coupon = await coupons.issue_manual(store, data.campaign_id, data.member_id, key[:100])
        return coupons.coupon_out(store, coupon, store.clock())

    @get("/members/{member_id:str}/coupons", opt=roles("lane", "manager"), sync_to_thread=False)
    def member_coupons(self, store: StoreDep, member_id: PathId) -> list[CouponOut]:
        """The member's coupons usable now, soonest expiry first."""
        return coupons.usable_coupons(store, member_id)

    @get("/members/{member_id:str}/referral-code", opt=roles("lane", "manager"), sync_to_thread=False)
    def referral_code(self, store: StoreDep, member_id: PathId) -> ReferralCodeOut:
        """The member's referral code: give it to a friend, who enrols with `referral_code`."""
        return ReferralCodeOut(member_id, referrals.code_for(store, member_id))

    @post("/campaigns/maintenance", opt=roles("manager", "hq"), status_code=HTTP_200_OK)
    async def maintain(self, store: StoreDep) -> dict[str, int]:
        """The periodic sweep: expire due coupons, release held points, expire old points."""
        return await upkeep.sweep(store)

    @get("/reports/segments", opt=roles("manager"), sync_to_thread=True)
    def segments(self, store: StoreDep,
                 limit: Annotated[int, QueryParameter(name="limit", ge=0, le=1000)] = 100) -> SegmentsOut:
        """Members by segment (loyal, new, active, at_risk, dormant): counts and up to `limit` members each."""
        return segments.segments_report(store, limit)

    @get("/points-policy", opt=roles("manager"), sync_to_thread=False)
    def points_policy(self, store: StoreDep) -> PointsPolicy:
        """What a point is worth when redeemed, the smallest redemption, hold days, expiry days."""
        return points.policy(store)

    @put("/points-policy", opt=roles("manager"), status_code=HTTP_200_OK)
    async def set_points_policy(self, store: StoreDep, data: Annotated[PointsPolicy, Body()]) -> PointsPolicy:
        """Replace the points policy; sales from now on follow it."""
        return await points.set_policy(store, data)
