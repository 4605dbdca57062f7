"""Campaigns on a sale: recording the uses a priced cart made (caps, coupons) and giving them back on a
void; and the manager's list and create. Pricing with them is services.pricing."""

import sqlite3
from datetime import datetime

import msgspec

from ..domain.campaigns import Campaign, check_campaign
from ..domain.clock import iso
from ..domain.errors import Conflict, FieldError
from ..domain.events import CampaignSaved, CampaignUsed, CampaignUseVoided, CouponRedeemed, CouponRestored
from ..domain.pricing import Priced
from ..schemas import CampaignOut
from ..store import campaigns as repo
from ..store import catalog as catalog_repo
from ..store import coupons as coupon_repo
from ..store.outbox import append_event
from .runtime import StoreRuntime, bump_reference


def record_uses(conn: sqlite3.Connection, sale_id: str, priced: Priced, member_id: str | None, day: str,
                now: datetime, honour: bool = False) -> None:
    """In the sale's transaction: count each use against its caps and redeem the coupons it used.

    `honour`: the customer has paid for this price, so a coupon that expired since its quote is still
    redeemed, and one another sale used a moment ago is not refused (its use is still counted)."""
    for use in priced.uses:
        repo.record_use(conn, sale_id, use.offer_id, use.campaign_id, use.code, member_id, day, use.units,
                        use.amount_fen, now)
        # what HQ needs to reconcile a chain-wide cap against the leases it gave out
        append_event(conn, CampaignUsed(campaign_id=use.campaign_id, sale_id=sale_id, offer_id=use.offer_id,
                                        code=use.code, units=use.units, amount_fen=use.amount_fen,
                                        business_day=day), now)
        if use.offer_id.startswith("coupon:"):
            assert use.code is not None
            if not coupon_repo.redeem(conn, use.code, sale_id, now, honour_expired=honour):
                if honour:  # paid for: the use stands, the coupon row already says who spent it
                    continue
                raise Conflict(f"coupon {use.code} was already used", [FieldError("coupon_codes", "already used")])
            append_event(conn, CouponRedeemed(code=use.code, campaign_id=use.campaign_id, member_id=member_id,
                                              sale_id=sale_id, amount_fen=use.amount_fen), now)


def give_back(conn: sqlite3.Connection, sale_id: str, now: datetime) -> None:
    """In the void's transaction: the sale's uses leave the counters and its coupons are usable again."""
    for campaign_id, code, units, amount in repo.uses_of_sale(conn, sale_id):
        append_event(conn, CampaignUseVoided(campaign_id=campaign_id, sale_id=sale_id, code=code, units=units,
                                             amount_fen=amount), now)
    repo.void_uses(conn, sale_id)
    for coupon in coupon_repo.restore_for_sale(conn, sale_id):
        append_event(conn, CouponRestored(code=coupon.code, campaign_id=coupon.campaign_id,
                                          member_id=coupon.member_id, sale_id=sale_id), now)


# --- the manager's campaigns -------------------------------------------------------------------------

def campaign_out(s: repo.StoredCampaign) -> CampaignOut:
    return CampaignOut(campaign=s.campaign, origin=s.origin, updated_at=s.updated_at)


def list_campaigns(store: StoreRuntime) -> list[CampaignOut]:
    return [campaign_out(s) for s in repo.load_campaigns(store.reader.conn)]


async def save_campaign(store: StoreRuntime, campaign: Campaign) -> tuple[CampaignOut, bool]:
    """Create or replace a local campaign; HQ's campaigns are not changed here. Returns (campaign, created)."""
    check_campaign(campaign)

    def command(conn: sqlite3.Connection) -> tuple[CampaignOut, bool]:
        now = store.clock()
        origin = repo.origin_of(conn, campaign.campaign_id)
        if origin == "hq":
            raise Conflict("HQ owns this campaign", [FieldError("campaign_id", "an HQ campaign: change it at HQ")])
        catalog_repo.upsert_campaign(conn, campaign.campaign_id, campaign.kind, msgspec.json.encode(campaign),
                                     "local", now)
        bump_reference(conn)
        append_event(conn, CampaignSaved(campaign_id=campaign.campaign_id, origin="local",
                                         campaign=msgspec.to_builtins(campaign)), now)
        return CampaignOut(campaign=campaign, origin="local", updated_at=iso(now)), origin is None

    return await store.writer.run(command)
