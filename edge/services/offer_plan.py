"""The store's campaigns planned for pricing: decoded once per reference version, filtered per cart."""

from datetime import time
from zoneinfo import ZoneInfo

from ..domain.campaigns import Automatic, Campaign, CouponInstances, expires_at
from ..domain.pricing import Offer
from ..store import campaigns as campaign_repo


class OfferPlan:
    """The store's automatic offers, built once per reference version: a quote only filters them."""

    def __init__(self, stored: list[campaign_repo.StoredCampaign], tz: ZoneInfo, day_start: time) -> None:
        self.by_id = {s.campaign.campaign_id: s for s in stored}
        self.automatic = [Offer(offer_id=s.campaign.campaign_id, campaign=s.campaign,
                                expires_at=expires_at(s.campaign, tz, day_start))
                          for s in stored if isinstance(s.campaign.issuance, Automatic) and s.campaign.active]
        self.limited = frozenset(s.campaign.campaign_id for s in stored if _counted(s.campaign))


def _counted(c: Campaign) -> bool:
    """Whether pricing reads the campaign's use counts: a coupon's per-member limit is spent at issue,
    so a welcome coupon with only that limit needs no read on every quote that holds it."""
    lim = c.limits
    per_member = lim.per_member is not None and not isinstance(c.issuance, CouponInstances)
    return c.lease is not None or lim.total is not None or lim.per_day is not None or per_member
