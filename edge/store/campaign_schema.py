"""Tables of the campaign engine: coupons, campaign uses (counters and flash units), referral rewards,
pending points. A migration set of its own, applied after the core schema."""

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("store-edge-campaigns")


@migrations()
def m001_campaign_tables(db: sqlite_utils.Database) -> None:
    db.executescript("""
    CREATE TABLE coupons (
        code TEXT PRIMARY KEY,
        campaign_id TEXT NOT NULL,
        member_id TEXT REFERENCES members(member_id),
        source TEXT NOT NULL,                  -- welcome, referral, manual
        issue_key TEXT NOT NULL UNIQUE,        -- one coupon per reason: a retried issue makes no second one
        status TEXT NOT NULL CHECK (status IN ('issued', 'redeemed', 'expired', 'revoked')),
        issued_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        redeemed_sale_id TEXT,
        redeemed_at TEXT
    );
    CREATE INDEX coupons_member ON coupons(member_id, status);
    CREATE INDEX coupons_sale ON coupons(redeemed_sale_id) WHERE redeemed_sale_id IS NOT NULL;
    CREATE INDEX coupons_due ON coupons(status, expires_at);
    -- one row per (sale, offer) the sale used: the counters behind total / per-day / per-member caps,
    -- and the flash units sold. A void marks its rows voided, which gives the uses back.
    CREATE TABLE campaign_uses (
        sale_id TEXT NOT NULL,
        offer_id TEXT NOT NULL,
        campaign_id TEXT NOT NULL,
        code TEXT,
        member_id TEXT,
        business_day TEXT NOT NULL,
        units INTEGER NOT NULL DEFAULT 0 CHECK (units >= 0),
        amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'voided')),
        at TEXT NOT NULL,
        PRIMARY KEY (sale_id, offer_id)
    );
    CREATE INDEX campaign_uses_campaign ON campaign_uses(campaign_id, status);
    CREATE TABLE referral_rewards (
        referee_id TEXT PRIMARY KEY,           -- a referee rewards once, ever
        referrer_id TEXT NOT NULL,
        sale_id TEXT NOT NULL,
        campaign_id TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX referral_rewards_referrer ON referral_rewards(referrer_id);
    CREATE TABLE points_pending (
        sale_id TEXT PRIMARY KEY,
        member_id TEXT NOT NULL REFERENCES members(member_id),
        points INTEGER NOT NULL CHECK (points > 0),
        release_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'released', 'reversed'))
    );
    CREATE INDEX points_pending_due ON points_pending(status, release_at);
    CREATE INDEX points_pending_member ON points_pending(member_id, status);
    """)
