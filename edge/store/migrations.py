"""The store database's schema: one numbered sequence of migrations, applied in order at every open.

Uniqueness is enforced by constraints (invariant 12), money columns are INTEGER fen with CHECKs,
times are ISO-8601 UTC text. Each migration runs in a transaction with the record of it having run
(sqlite-utils' `_sqlite_migrations`, keyed by migration set and name).

Stores made before the schema was one sequence recorded their migrations under four sets
(`store-edge`, `store-edge-join`, `store-edge-campaigns`, and sync's `store-edge-sync`): each step
keeps the record it was applied under then, so such a store runs none again and skips none; new
steps are recorded under `store-edge` with their number. A plugin (sync) brings its own sequence,
applied after this one (`migrate(db, *sequences)`).
"""

from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils
from sqlite_utils import Migrations


@dataclass(frozen=True)
class Migration:
    number: int
    apply: Callable[[sqlite_utils.Database], None]
    recorded_as: tuple[str, str]  # (migration set, name) in _sqlite_migrations


class MigrationSequence:
    """Numbered migrations of one package, each recorded under its (set, name)."""

    def __init__(self, name: str) -> None:
        self.name = name  # the set new steps are recorded under
        self.steps: list[Migration] = []

    def __call__(self, number: int, recorded_as: tuple[str, str] | None = None
                 ) -> Callable[[Callable[[sqlite_utils.Database], None]], Callable[[sqlite_utils.Database], None]]:
        """Register `fn` as step `number` (the next one); `recorded_as` only for steps that older code
        recorded under another set or name."""

        def register(fn: Callable[[sqlite_utils.Database], None]) -> Callable[[sqlite_utils.Database], None]:
            if number != len(self.steps) + 1:
                raise ValueError(f"{self.name}: migration {fn.__name__} is numbered {number}, "
                                 f"expected {len(self.steps) + 1}")
            self.steps.append(Migration(number, fn, recorded_as or (self.name, fn.__name__)))
            return fn

        return register

    def pending(self, db: sqlite_utils.Database) -> list[Migration]:
        applied = _applied(db)
        return [m for m in self.steps if m.recorded_as not in applied]

    def apply(self, db: sqlite_utils.Database) -> None:
        """Run the steps not yet recorded, in number order, each with its record in one transaction."""
        for step in self.pending(db):
            one = Migrations(step.recorded_as[0])  # sqlite-utils' own runner and record, for one step
            one(name=step.recorded_as[1])(step.apply)
            one.apply(db)


def _applied(db: sqlite_utils.Database) -> set[tuple[str, str]]:
    if not db[Migrations.migrations_table].exists():
        return set()
    return {(r[0], r[1]) for r in db.execute(f"SELECT migration_set, name FROM {Migrations.migrations_table}")}


def migrate(db: sqlite_utils.Database, *plugin_sequences: MigrationSequence) -> None:
    """Bring the database to the current schema: the edge's sequence, then each plugin's."""
    for sequence in (EDGE_MIGRATIONS, *plugin_sequences):
        sequence.apply(db)


EDGE_MIGRATIONS = MigrationSequence("store-edge")


@EDGE_MIGRATIONS(1)
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


@EDGE_MIGRATIONS(2)
def m002_sales_day_tally(db: sqlite_utils.Database) -> None:
    """The business-day index also holds what the join rate counts, so a day is tallied from the
    index alone (the seal's tally of 40,000 sales: 23 ms -> 7 ms, inside the writer)."""
    db.executescript("""
    DROP INDEX sales_day;
    CREATE INDEX sales_day ON sales(business_day, status, joined_source, nonmember_at_start);
    """)


@EDGE_MIGRATIONS(3)
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


@EDGE_MIGRATIONS(4, recorded_as=("store-edge-join", "m001_scan_to_join"))
def m004_scan_to_join(db: sqlite_utils.Database) -> None:
    db.executescript("""
    CREATE TABLE standees (
        standee_id TEXT PRIMARY KEY,
        short_code TEXT NOT NULL UNIQUE,  -- the fallback URL /s/<code> printed under the QR
        label TEXT NOT NULL,
        location TEXT NOT NULL DEFAULT '',
        welcome_campaign_id TEXT,
        scans INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    -- one join per checkout QR: the PRIMARY KEY is what makes the token single-use
    CREATE TABLE checkout_joins (
        checkout_id TEXT PRIMARY KEY,
        member_id TEXT NOT NULL REFERENCES members(member_id),
        created INTEGER NOT NULL,  -- 1: a new member joined; 0: an existing member identified
        joined_at TEXT NOT NULL
    );
    -- member codes this store accepted: a code is accepted once per store
    CREATE TABLE member_code_uses (
        member_id TEXT NOT NULL,
        step INTEGER NOT NULL,
        used_at TEXT NOT NULL,
        PRIMARY KEY (member_id, step)
    );
    CREATE INDEX member_code_uses_step ON member_code_uses(step);
    CREATE TABLE member_sessions (
        session_hash TEXT PRIMARY KEY,
        member_id TEXT NOT NULL REFERENCES members(member_id),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX member_sessions_member ON member_sessions(member_id);
    """)


@EDGE_MIGRATIONS(5, recorded_as=("store-edge-campaigns", "m001_campaign_tables"))
def m005_campaign_tables(db: sqlite_utils.Database) -> None:
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


@EDGE_MIGRATIONS(6, recorded_as=("store-edge-campaigns", "m002_campaign_use_counts"))
def m006_campaign_use_counts(db: sqlite_utils.Database) -> None:
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


@EDGE_MIGRATIONS(7, recorded_as=("store-edge-campaigns", "m003_campaign_use_count_triggers"))
def m007_campaign_use_count_triggers(db: sqlite_utils.Database) -> None:
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



@EDGE_MIGRATIONS(8)
def m008_member_directory(db: sqlite_utils.Database) -> None:
    """Members known through HQ's directory (they joined at another store) and merged ids: the members
    repository reads them on every lookup, so they are the edge's own tables. Stores made before
    this step have them already (sync's first migration made them then): IF NOT EXISTS."""
    db.executescript("""
    CREATE TABLE IF NOT EXISTS sync_directory (
        member_id TEXT PRIMARY KEY REFERENCES members(member_id),
        home_store_id TEXT NOT NULL,
        version INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS member_aliases (
        alias_member_id TEXT PRIMARY KEY,
        member_id TEXT NOT NULL,
        version INTEGER NOT NULL
    );
    """)


@EDGE_MIGRATIONS(9, recorded_as=("store-edge-printing", "m001_printers"))
def m009_printers(db: sqlite_utils.Database) -> None:
    """Receipt printers, the lanes they serve, and the print queue."""
    db.executescript("""
    CREATE TABLE printers (
        name TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        width_mm INTEGER NOT NULL CHECK (width_mm IN (58, 80)),
        mode TEXT NOT NULL CHECK (mode IN ('text', 'raster')),
        qr TEXT NOT NULL CHECK (qr IN ('native', 'raster')),
        created_at TEXT NOT NULL
    );
    -- one receipt printer per lane ('*': every lane without its own)
    CREATE TABLE printer_lanes (
        lane_id TEXT PRIMARY KEY,
        printer TEXT NOT NULL REFERENCES printers(name) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE TABLE print_jobs (
        job_id INTEGER PRIMARY KEY AUTOINCREMENT,
        printer TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('receipt', 'void', 'coupon', 'poster', 'test')),
        subject TEXT NOT NULL DEFAULT '',   -- the sale id, coupon code or standee id printed
        lane_id TEXT,
        reprint INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed', 'resolved')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        note TEXT,
        created_at TEXT NOT NULL,
        finished_at TEXT
    );
    CREATE INDEX print_jobs_due ON print_jobs(next_attempt_at) WHERE status = 'pending';
    CREATE INDEX print_jobs_subject ON print_jobs(kind, subject);
    CREATE INDEX print_jobs_failed ON print_jobs(job_id) WHERE status = 'failed';
    """)


@EDGE_MIGRATIONS(10)
def m010_price_lock(db: sqlite_utils.Database) -> None:
    """The price lock and the exceptions list. A quote that priced something scarce (flash units, coupon
    instances, uses of capped campaigns) keeps its lock in `checkout_locks` and what it holds in
    `reservations` until the sale consumes them, the checkout is cancelled, or the lock expires. A sale
    keeps what the till charged beside the edge's price. `store_exceptions` is the manager's list of what
    the tills did that the edge would not have; its kinds are open, other parts of the store add theirs."""
    db.executescript("""
    ALTER TABLE sales ADD COLUMN charged_fen INTEGER;       -- what the till charged (total_fen: the edge's price)
    UPDATE sales SET charged_fen = total_fen;
    ALTER TABLE sales ADD COLUMN offline INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sales ADD COLUMN rung_up_at TEXT;           -- when the till rang it up, for offline sales
    ALTER TABLE sales ADD COLUMN key_id TEXT;               -- the lane key that recorded it: its void window
    CREATE TABLE checkout_locks (
        checkout_id TEXT PRIMARY KEY,
        lane_id TEXT NOT NULL,
        cashier_id TEXT NOT NULL,
        member_id TEXT,
        recognised INTEGER NOT NULL DEFAULT 0,
        cart_key BLOB NOT NULL,                -- the lines, codes and points the lock was quoted for
        priced BLOB NOT NULL,                  -- the priced cart and the uses it holds (msgspec JSON)
        quoted_at TEXT NOT NULL,
        locked_until TEXT NOT NULL
    );
    CREATE INDEX checkout_locks_until ON checkout_locks(locked_until);
    CREATE INDEX checkout_locks_lane ON checkout_locks(lane_id, quoted_at);
    CREATE TABLE reservations (
        checkout_id TEXT NOT NULL,
        offer_id TEXT NOT NULL,
        sku TEXT NOT NULL DEFAULT '',          -- flash units are held per SKU ('' for other uses)
        campaign_id TEXT NOT NULL,
        code TEXT,                             -- a coupon instance held
        member_id TEXT,
        business_day TEXT NOT NULL,
        units INTEGER NOT NULL DEFAULT 0 CHECK (units >= 0),   -- flash units; 0 counts as one use
        expires_at TEXT NOT NULL,
        PRIMARY KEY (checkout_id, offer_id, sku)
    ) WITHOUT ROWID;
    CREATE INDEX reservations_campaign ON reservations(campaign_id, expires_at);
    CREATE INDEX reservations_sku ON reservations(sku, expires_at) WHERE units > 0;
    CREATE INDEX reservations_code ON reservations(code) WHERE code IS NOT NULL;
    CREATE TABLE store_exceptions (
        exception_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,                    -- price, offline, stock_below_zero, replay_refused, ...
        sale_id TEXT,
        lane_id TEXT,
        business_day TEXT,
        created_at TEXT NOT NULL,
        edge_total_fen INTEGER,
        charged_fen INTEGER,
        difference_fen INTEGER,                -- charged minus the edge's price
        sku TEXT,
        on_hand_after INTEGER,
        reason TEXT NOT NULL,
        body BLOB,                             -- a refused replay's body, bounded
        error TEXT,
        dedupe_key TEXT,                       -- the same refused replay sent again is kept once
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
        resolved_at TEXT,
        resolved_note TEXT
    );
    CREATE INDEX store_exceptions_listing ON store_exceptions(status, kind, created_at);
    CREATE INDEX store_exceptions_sale ON store_exceptions(sale_id) WHERE sale_id IS NOT NULL;
    CREATE UNIQUE INDEX store_exceptions_dedupe ON store_exceptions(dedupe_key) WHERE dedupe_key IS NOT NULL;
    """)


@EDGE_MIGRATIONS(11)
def m011_erasure(db: sqlite_utils.Database) -> None:
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
