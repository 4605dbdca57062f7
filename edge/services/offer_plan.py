"""The store's campaigns planned for pricing: decoded once per reference version, filtered per cart."""

from zoneinfo import ZoneInfo

from ..domain.campaigns import Automatic, Limits, expires_at
from ..domain.pricing import Offer
from ..store import campaigns as campaign_repo

_NO_LIMITS = Limits()


class OfferPlan:
    """The store's automatic offers, built once per reference version: a quote only filters them."""

    def __init__(self, stored: list[campaign_repo.StoredCampaign], tz: ZoneInfo) -> None:
        self.by_id = {s.campaign.campaign_id: s for s in stored}
        self.automatic = [Offer(offer_id=s.campaign.campaign_id, campaign=s.campaign,
                                expires_at=expires_at(s.campaign, tz))
                          for s in stored if isinstance(s.campaign.issuance, Automatic) and s.campaign.active]
        self.limited = frozenset(s.campaign.campaign_id for s in stored
                                 if s.campaign.limits != _NO_LIMITS or s.campaign.store_cap is not None)
