"""Create a store's database, and seed the demo coffee/bakery store."""

import secrets
from collections.abc import Sequence
from pathlib import Path

import msgspec

from ..config import StoreConfig
from ..domain.campaigns import (
    AmountOff,
    Campaign,
    Conditions,
    CouponInstances,
    Flash,
    Limits,
    PercentOff,
    Scope,
)
from ..domain.clock import Clock, iso, system_clock
from ..domain.ids import uuid7
from ..domain.models import MemberDayRule, Sku, Tier
from ..plugins import EdgePlugin, installed, migration_sequences
from ..store import catalog as catalog_repo
from ..store import meta
from ..store.connection import immediate, open_database
from ..store.migrations import migrate
from .keys import create_key
from .runtime import DB_NAME, bump_reference


def init_store(data_dir: Path | str, config: StoreConfig, clock: Clock = system_clock,
               chain_key: bytes | None = None, plugins: Sequence[EdgePlugin] | None = None) -> Path:
    """Create the store database with its config, secrets and a fresh epoch; refuse to overwrite one.
    Its schema is the edge's and the plugins' (by default the installed ones)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DB_NAME
    if path.exists():
        raise FileExistsError(f"a store already exists at {path}")
    db = open_database(path)
    try:
        migrate(db, *migration_sequences(installed() if plugins is None else plugins))
        with immediate(db.conn):
            meta.save_config(db.conn, config)
            meta.set_meta(db.conn, "store_id", config.store_id)
            meta.set_meta(db.conn, "epoch_id", uuid7())  # a restore from backup starts a new one (sync)
            meta.set_meta(db.conn, "created_at", iso(clock()))
            # chain key: shared by the chain's stores (HQ sends it down); store key: signs this store's QRs
            meta.set_secret(db.conn, "chain_key", chain_key or secrets.token_bytes(32))
            meta.set_secret(db.conn, "store_key", secrets.token_bytes(32))
            meta.set_secret(db.conn, "sync_key", secrets.token_bytes(32))
    finally:
        db.conn.close()
    return path


DEMO_TIERS = [
    Tier(tier_id="regular", name_zh="普通会员", name_en="Regular", rank=0, discount_bps=0,
         points_multiplier_pct=100, upgrade_spend_fen=0),
    Tier(tier_id="silver", name_zh="银卡会员", name_en="Silver", rank=1, discount_bps=500,
         points_multiplier_pct=120, upgrade_spend_fen=50_000),
    Tier(tier_id="gold", name_zh="金卡会员", name_en="Gold", rank=2, discount_bps=1000,
         points_multiplier_pct=150, upgrade_spend_fen=200_000),
]

DEMO_CATALOG = [
    Sku(sku="AMERICANO", name_zh="美式咖啡", name_en="Americano", category="coffee", price_fen=2200, track_stock=False),
    Sku(sku="LATTE", name_zh="拿铁", name_en="Latte", category="coffee", price_fen=2800, track_stock=False),
    Sku(sku="FLAT-WHITE", name_zh="澳白", name_en="Flat White", category="coffee", price_fen=3000, track_stock=False),
    Sku(sku="MATCHA-LATTE", name_zh="抹茶拿铁", name_en="Matcha Latte", category="tea", price_fen=3200,
        track_stock=False),
    Sku(sku="LEMON-TEA", name_zh="柠檬茶", name_en="Lemon Tea", category="tea", price_fen=1800, track_stock=False),
    Sku(sku="CROISSANT", name_zh="牛角包", name_en="Croissant", category="pastry", price_fen=1500, perishable=True),
    Sku(sku="EGG-TART", name_zh="葡式蛋挞", name_en="Egg Tart", category="pastry", price_fen=900, perishable=True),
    Sku(sku="CHEESECAKE", name_zh="芝士蛋糕", name_en="Cheesecake", category="pastry", price_fen=3800,
        perishable=True),
    Sku(sku="SANDWICH", name_zh="火腿三明治", name_en="Ham Sandwich", category="food", price_fen=2600, perishable=True),
    Sku(sku="BEANS-250G", name_zh="咖啡豆 250克", name_en="Coffee Beans 250g", category="retail", price_fen=9800),
    Sku(sku="GIFT-CARD-100", name_zh="礼品卡 100元", name_en="Gift Card ¥100", category="gift", price_fen=10000,
        track_stock=False, member_discount=False),
]

DEMO_STOCK = {"CROISSANT": 40, "EGG-TART": 60, "CHEESECAKE": 12, "SANDWICH": 20, "BEANS-250G": 30}

DEMO_MEMBER_DAY = MemberDayRule(campaign_id="member-day-friday", name_zh="周五会员日", name_en="Friday Member Day",
                                weekdays=[5], boost_bps=500)


# The demo's campaigns, in the campaign engine's JSON (docs/campaigns.md): idle-hour pastry, a welcome
# coupon for standee joins, and the referral reward.
DEMO_CAMPAIGNS = [
    Campaign(campaign_id="flash-pastry", kind="flash_inventory", name_zh="闲时烘焙半价",
             name_en="Idle-hour pastry half price", benefit=PercentOff(5000), applies_to="unit",
             scope=Scope(skus=["CROISSANT", "EGG-TART"]), flash=Flash(start="16:00", threshold=10)),
    Campaign(campaign_id="welcome-5", kind="welcome", name_zh="新人立减5元", name_en="Welcome ¥5 off",
             benefit=AmountOff(500), conditions=Conditions(min_spend_fen=2000),
             issuance=CouponInstances(valid_days=14), limits=Limits(per_member=1)),
    Campaign(campaign_id="referral-10", kind="referral", name_zh="邀请有礼10元", name_en="Referral ¥10 off",
             benefit=AmountOff(1000), conditions=Conditions(min_spend_fen=3000),
             issuance=CouponInstances(valid_days=30), limits=Limits(per_member=5)),
]


def seed_demo(data_dir: Path | str, clock: Clock = system_clock) -> dict[str, str]:
    """Fill a new store with the demo catalog, tiers, member day and stock; return one key per role."""
    db = open_database(Path(data_dir) / DB_NAME)
    now = clock()
    try:
        with immediate(db.conn):
            catalog_repo.upsert_tiers(db.conn, DEMO_TIERS)
            catalog_repo.upsert_skus(db.conn, DEMO_CATALOG)
            for sku, qty in DEMO_STOCK.items():
                catalog_repo.set_stock(db.conn, sku, qty, now)
            catalog_repo.upsert_campaign(db.conn, DEMO_MEMBER_DAY.campaign_id, "member_day",
                                         msgspec.json.encode(DEMO_MEMBER_DAY), "hq", now)
            for campaign in DEMO_CAMPAIGNS:
                catalog_repo.upsert_campaign(db.conn, campaign.campaign_id, campaign.kind,
                                             msgspec.json.encode(campaign), "local", now)
            bump_reference(db.conn)
            keys = {role: create_key(db.conn, role, now, label=f"demo {role}")[1] for role in ("lane", "manager", "hq")}
    finally:
        db.conn.close()
    return keys


def demo_config(store_id: str = "demo-001", base_url: str = "http://127.0.0.1:8000") -> StoreConfig:
    return StoreConfig(store_id=store_id, name="演示咖啡 Demo Coffee", public_base_url=base_url)
