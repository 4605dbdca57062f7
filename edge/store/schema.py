"""The store database schema, as sqlite-utils migrations (applied in order, each in a transaction).

Uniqueness is enforced by constraints (invariant 12), money columns are INTEGER fen with CHECKs,
times are ISO-8601 UTC text.
"""

import sqlite_utils
from sqlite_utils import Migrations

from sync.schema import migrations as sync_migrations  # issue 5: batches, bundles, directory

from .campaign_schema import migrations as campaign_migrations  # issue 4: coupons, uses, held points
from .join import migrations as join_migrations  # issue 3: standees, checkout joins, sessions
from .print_jobs import migrations as print_migrations  # printers and the print queue

migrations = Migrations("store-edge")


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    db.executescript("""
    CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
    CREATE TABLE api_keys (
        key_id TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('lane', 'manager', 'hq')),
        key_hash TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE catalog (
        sku TEXT PRIMARY KEY,
        name_zh TEXT NOT NULL, name_en TEXT NOT NULL, category TEXT NOT NULL,
        price_fen INTEGER NOT NULL CHECK (price_fen >= 0),
        perishable INTEGER NOT NULL DEFAULT 0,
        track_stock INTEGER NOT NULL DEFAULT 1,
        member_discount INTEGER NOT NULL DEFAULT 1,
        active INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE inventory (
        sku TEXT PRIMARY KEY REFERENCES catalog(sku),
        on_hand INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE tiers (
        tier_id TEXT PRIMARY KEY,
        name_zh TEXT NOT NULL, name_en TEXT NOT NULL,
        rank INTEGER NOT NULL UNIQUE,
        discount_bps INTEGER NOT NULL CHECK (discount_bps BETWEEN 0 AND 10000),
        points_multiplier_pct INTEGER NOT NULL CHECK (points_multiplier_pct >= 0),
        upgrade_spend_fen INTEGER NOT NULL CHECK (upgrade_spend_fen >= 0)
    );
    CREATE TABLE campaigns (
        campaign_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        origin TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'hq')),
        body TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE members (
        member_id TEXT PRIMARY KEY,
        phone_e164 TEXT UNIQUE,
        phone_hash TEXT,
        name TEXT,
        birthday TEXT,
        tier_id TEXT NOT NULL REFERENCES tiers(tier_id),
        lifetime_spend_fen INTEGER NOT NULL DEFAULT 0,
        points_balance INTEGER NOT NULL DEFAULT 0,
        joined_at TEXT NOT NULL,
        join_store_id TEXT NOT NULL,
        join_source TEXT NOT NULL,
        join_lane_id TEXT, join_cashier_id TEXT, join_checkout_id TEXT, join_standee_id TEXT,
        join_receipt_sale_id TEXT, referrer_id TEXT,
        marketing_consent INTEGER NOT NULL DEFAULT 0,
        payment_link_consent INTEGER NOT NULL DEFAULT 0,
        erased_at TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX members_join_checkout ON members(join_checkout_id) WHERE join_checkout_id IS NOT NULL;
    CREATE INDEX members_phone_hash ON members(phone_hash);
    CREATE TABLE consents (
        id INTEGER PRIMARY KEY,
        member_id TEXT NOT NULL REFERENCES members(member_id),
        purpose TEXT NOT NULL CHECK (purpose IN ('membership', 'marketing', 'payment_link')),
        granted INTEGER NOT NULL,
        policy_version TEXT NOT NULL,
        channel TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX consents_member ON consents(member_id);
    CREATE TABLE points_ledger (
        entry_id TEXT PRIMARY KEY,
        member_id TEXT NOT NULL REFERENCES members(member_id),
        kind TEXT NOT NULL CHECK (kind IN ('accrue', 'redeem', 'expire', 'adjust', 'reverse')),
        points INTEGER NOT NULL,
        sale_id TEXT,
        at TEXT NOT NULL
    );
    CREATE INDEX points_member ON points_ledger(member_id);
    CREATE TABLE payment_identities (
        payer_hash TEXT PRIMARY KEY,
        member_id TEXT NOT NULL REFERENCES members(member_id),
        provider TEXT NOT NULL,
        linked_at TEXT NOT NULL
    );
    CREATE INDEX payment_identities_member ON payment_identities(member_id);
    CREATE TABLE sales (
        sale_id TEXT PRIMARY KEY,
        request_hash TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('completed', 'voided')),
        checkout_id TEXT,
        lane_id TEXT NOT NULL, cashier_id TEXT NOT NULL,
        member_id TEXT REFERENCES members(member_id),
        subtotal_fen INTEGER NOT NULL CHECK (subtotal_fen >= 0),
        discount_fen INTEGER NOT NULL CHECK (discount_fen >= 0),
        total_fen INTEGER NOT NULL CHECK (total_fen >= 0),
        points_earned INTEGER NOT NULL DEFAULT 0,
        payer_hash TEXT,
        payment_method TEXT NOT NULL,
        payment_provider TEXT,
        created_at TEXT NOT NULL,
        business_day TEXT NOT NULL,
        nonmember_at_start INTEGER NOT NULL,
        joined_source TEXT,
        voided_at TEXT, void_reason TEXT,
        response BLOB NOT NULL
    );
    CREATE INDEX sales_day ON sales(business_day);
    CREATE INDEX sales_checkout ON sales(checkout_id) WHERE checkout_id IS NOT NULL;
    CREATE INDEX sales_payer ON sales(payer_hash) WHERE payer_hash IS NOT NULL;
    CREATE TABLE sale_lines (
        sale_id TEXT NOT NULL REFERENCES sales(sale_id),
        line_no INTEGER NOT NULL,
        sku TEXT NOT NULL,
        qty INTEGER NOT NULL CHECK (qty > 0),
        unit_price_fen INTEGER NOT NULL CHECK (unit_price_fen >= 0),
        discount_fen INTEGER NOT NULL CHECK (discount_fen >= 0),
        total_fen INTEGER NOT NULL CHECK (total_fen >= 0),
        stock_taken INTEGER NOT NULL DEFAULT 0,  -- units taken off the shelf, given back on void
        PRIMARY KEY (sale_id, line_no)
    );
    CREATE TABLE idempotency (
        key TEXT NOT NULL,
        route TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        response BLOB NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (route, key)
    );
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        payload BLOB NOT NULL
    );
    """)


@migrations()
def m002_sales_day_tally(db: sqlite_utils.Database) -> None:
    """The business-day index also holds what the join rate counts, so a day is tallied from the
    index alone (the seal's tally of 40,000 sales: 23 ms -> 7 ms, inside the writer)."""
    db.executescript("""
    DROP INDEX sales_day;
    CREATE INDEX sales_day ON sales(business_day, status, joined_source, nonmember_at_start);
    """)


@migrations()
def m003_sales_day_counts(db: sqlite_utils.Database) -> None:
    """Running join-rate counts per business day and join source, kept by triggers in each sale's own
    transaction (a sale, its void, a receipt join). The seal read a day by counting its sales, inside
    the writer: 47 ms at 40,000 sales in a day, on every seal, and the lanes waited behind it. The
    business-day index no longer needs to cover those counts: back to the day alone, which the
    join-rate report reads by."""
    db.executescript("""
    DROP INDEX sales_day;
    CREATE INDEX sales_day ON sales(business_day);
    CREATE TABLE sales_day_counts (
        business_day TEXT NOT NULL,
        joined_source TEXT NOT NULL,           -- '' for a sale that ended without a join
        completed INTEGER NOT NULL,            -- completed sales
        nonmember INTEGER NOT NULL,            -- of them, whose customer was not a member at the start
        PRIMARY KEY (business_day, joined_source)
    ) WITHOUT ROWID;
    INSERT INTO sales_day_counts (business_day, joined_source, completed, nonmember)
        SELECT business_day, coalesce(joined_source, ''), count(*), sum(nonmember_at_start)
        FROM sales WHERE status = 'completed' GROUP BY business_day, coalesce(joined_source, '');
    CREATE TRIGGER sale_counted AFTER INSERT ON sales WHEN NEW.status = 'completed' BEGIN
        INSERT INTO sales_day_counts (business_day, joined_source, completed, nonmember)
            SELECT NEW.business_day, coalesce(NEW.joined_source, ''), 1, NEW.nonmember_at_start WHERE true
            ON CONFLICT (business_day, joined_source)
            DO UPDATE SET completed = completed + 1, nonmember = nonmember + excluded.nonmember;
    END;
    CREATE TRIGGER sale_recounted AFTER UPDATE OF status, business_day, joined_source, nonmember_at_start ON sales
    BEGIN
        UPDATE sales_day_counts SET completed = completed - 1, nonmember = nonmember - OLD.nonmember_at_start
            WHERE OLD.status = 'completed' AND business_day = OLD.business_day
              AND joined_source = coalesce(OLD.joined_source, '');
        INSERT INTO sales_day_counts (business_day, joined_source, completed, nonmember)
            SELECT NEW.business_day, coalesce(NEW.joined_source, ''), 1, NEW.nonmember_at_start
            WHERE NEW.status = 'completed'
            ON CONFLICT (business_day, joined_source)
            DO UPDATE SET completed = completed + 1, nonmember = nonmember + excluded.nonmember;
    END;
    CREATE TRIGGER sale_uncounted AFTER DELETE ON sales WHEN OLD.status = 'completed' BEGIN
        UPDATE sales_day_counts SET completed = completed - 1, nonmember = nonmember - OLD.nonmember_at_start
            WHERE business_day = OLD.business_day AND joined_source = coalesce(OLD.joined_source, '');
    END;
    """)


@migrations()
def m004_erasure(db: sqlite_utils.Database) -> None:
    """What erasure needs: per-person data keys, tombstones, the requests managers record, and the
    single-use links that open a member's own page.

    data_keys      a random key per member and per payer hash; personal fields of outbox events are
                   sealed with it, so destroying it makes the sealed batches' copies unreadable
    member_erasures  tombstones: the member ids erased here (no personal data), never matched by phone
    erasure_requests who recorded an in-person request, when, and why (the member id only)
    page_links     nonces of member-page links already opened: each opens once
    """
    db.executescript("""
    CREATE TABLE data_keys (
        kid TEXT PRIMARY KEY,
        member_id TEXT,
        payer_hash TEXT,
        key BLOB NOT NULL,
        created_at TEXT NOT NULL,
        batch_seq INTEGER          -- the first sealed batch HQ receives this key with (NULL: not yet)
    );
    CREATE UNIQUE INDEX data_keys_member ON data_keys(member_id) WHERE member_id IS NOT NULL;
    CREATE UNIQUE INDEX data_keys_payer ON data_keys(payer_hash) WHERE payer_hash IS NOT NULL;
    CREATE INDEX data_keys_batch ON data_keys(batch_seq);
    CREATE TABLE member_erasures (
        member_id TEXT PRIMARY KEY,
        erased_at TEXT NOT NULL,
        origin TEXT NOT NULL
    );
    CREATE TABLE erasure_requests (
        request_id TEXT PRIMARY KEY,
        member_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        requested_via TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        recorded_by_key TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );
    CREATE TABLE page_links (
        nonce TEXT PRIMARY KEY,
        member_id TEXT NOT NULL,
        used_at TEXT NOT NULL
    );
    CREATE INDEX page_links_member ON page_links(member_id);
    """)


# Feature packages register their own migration sets here; they apply after the core, in order.
MIGRATION_SETS: list[Migrations] = [migrations, join_migrations, sync_migrations, campaign_migrations,
                                    print_migrations]


def migrate(db: sqlite_utils.Database) -> None:
    """Bring the database to the current schema."""
    for migration_set in MIGRATION_SETS:
        migration_set.apply(db)
