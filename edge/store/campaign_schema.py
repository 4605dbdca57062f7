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


@migrations()
def m002_campaign_use_counts(db: sqlite_utils.Database) -> None:
    """Running counts behind the caps: summing campaign_uses on every quote and sale grew with every
    use (2.4 ms a read at 10,000 uses, inside the writer). Kept in the same transaction as the uses;
    filled from the uses a store already has."""
    db.executescript("""
    CREATE TABLE campaign_use_counts (
        campaign_id TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('total', 'day', 'member')),
        key TEXT NOT NULL,                     -- '' for total, the business day, or the member id
        n INTEGER NOT NULL,                    -- uses: flash units, or 1 an order
        PRIMARY KEY (campaign_id, scope, key)
    ) WITHOUT ROWID;
    INSERT INTO campaign_use_counts (campaign_id, scope, key, n)
        SELECT campaign_id, 'total', '', sum(CASE WHEN units > 0 THEN units ELSE 1 END)
        FROM campaign_uses WHERE status = 'active' GROUP BY campaign_id;
    INSERT INTO campaign_use_counts (campaign_id, scope, key, n)
        SELECT campaign_id, 'day', business_day, sum(CASE WHEN units > 0 THEN units ELSE 1 END)
        FROM campaign_uses WHERE status = 'active' GROUP BY campaign_id, business_day;
    INSERT INTO campaign_use_counts (campaign_id, scope, key, n)
        SELECT campaign_id, 'member', member_id, sum(CASE WHEN units > 0 THEN units ELSE 1 END)
        FROM campaign_uses WHERE status = 'active' AND member_id IS NOT NULL GROUP BY campaign_id, member_id;
    """)


@migrations()
def m003_campaign_use_count_triggers(db: sqlite_utils.Database) -> None:
    """The counts follow the uses inside SQLite: a use counts once when written, and a void takes it
    back, whichever code writes them, with no statement of its own from Python."""
    db.executescript("""
    CREATE TRIGGER campaign_use_counted AFTER INSERT ON campaign_uses WHEN NEW.status = 'active' BEGIN
        INSERT INTO campaign_use_counts (campaign_id, scope, key, n)
            SELECT NEW.campaign_id, 'total', '', CASE WHEN NEW.units > 0 THEN NEW.units ELSE 1 END WHERE true
            ON CONFLICT (campaign_id, scope, key) DO UPDATE SET n = n + excluded.n;
        INSERT INTO campaign_use_counts (campaign_id, scope, key, n)
            SELECT NEW.campaign_id, 'day', NEW.business_day, CASE WHEN NEW.units > 0 THEN NEW.units ELSE 1 END WHERE true
            ON CONFLICT (campaign_id, scope, key) DO UPDATE SET n = n + excluded.n;
        INSERT INTO campaign_use_counts (campaign_id, scope, key, n)
            SELECT NEW.campaign_id, 'member', NEW.member_id, CASE WHEN NEW.units > 0 THEN NEW.units ELSE 1 END
            WHERE NEW.member_id IS NOT NULL
            ON CONFLICT (campaign_id, scope, key) DO UPDATE SET n = n + excluded.n;
    END;
    CREATE TRIGGER campaign_use_voided AFTER UPDATE OF status ON campaign_uses
    WHEN OLD.status = 'active' AND NEW.status = 'voided' BEGIN
        UPDATE campaign_use_counts SET n = n - (CASE WHEN OLD.units > 0 THEN OLD.units ELSE 1 END)
        WHERE campaign_id = OLD.campaign_id AND ((scope = 'total' AND key = '')
              OR (scope = 'day' AND key = OLD.business_day) OR (scope = 'member' AND key = OLD.member_id));
    END;
    """)
