"""`store-edge hq provision` makes stores of one chain; the stores file is what the puller reads."""

import sqlite3

import msgspec

from sync.hq.stores import load_stores

from harness import cli


def test_provisioned_stores_share_the_chain_key_and_are_listed_with_their_hq_and_sync_keys(tmp_path):
    stores_file, chain_key = tmp_path / "hq" / "stores.json", tmp_path / "hq" / "chain.key"
    for n in (1, 2):
        made = cli("hq", "provision", "--stores", str(stores_file), "--chain-key", str(chain_key), "--data-dir",
                   str(tmp_path / f"s{n}"), "--store-id", f"s{n}", "--name", f"Store {n}",
                   "--url", f"http://127.0.0.1:{8100 + n}", "--demo")
        assert made.returncode == 0, made.stderr
        assert set(msgspec.json.decode(made.stdout)) == {"lane", "manager", "hq"}
    entries = load_stores(stores_file)
    assert [e.store_id for e in entries] == ["s1", "s2"] and oct(stores_file.stat().st_mode)[-3:] == "600"
    keys = []
    for n, entry in zip((1, 2), entries, strict=True):
        with sqlite3.connect(tmp_path / f"s{n}" / "store.db") as conn:
            secrets = dict(conn.execute("SELECT name, value FROM secrets"))
        assert bytes(secrets["sync_key"]).hex() == entry.sync_key
        keys.append(bytes(secrets["chain_key"]))
    assert keys[0] == keys[1] == bytes.fromhex(chain_key.read_text().strip())
    again = cli("hq", "provision", "--stores", str(stores_file), "--chain-key", str(chain_key), "--data-dir",
                str(tmp_path / "s1"), "--store-id", "s1", "--name", "Store 1", "--url", "http://127.0.0.1:8101")
    assert again.returncode != 0 and "already exists" in again.stderr


def test_a_missing_or_broken_stores_file_is_a_clear_error(tmp_path):
    missing = cli("hq", "pull", "--stores", str(tmp_path / "none.json"), "--warehouse", str(tmp_path / "w.db"))
    assert missing.returncode != 0 and "no stores file" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('[{"store_id": "s1"}]')
    bad = cli("hq", "pull", "--stores", str(broken), "--warehouse", str(tmp_path / "w.db"))
    assert bad.returncode != 0 and "url" in bad.stderr


def test_shards_split_the_stores_so_every_store_is_in_exactly_one():
    from sync.hq.stores import in_shard

    ids = [f"store-{n}" for n in range(200)]
    shards = [[s for s in ids if in_shard(s, f"{i}/3")] for i in range(3)]
    assert sorted(sum(shards, [])) == sorted(ids) and all(len(s) > 30 for s in shards)


def test_a_bad_shard_is_refused_by_the_command_line(tmp_path):
    bad = cli("hq", "pull", "--shard", "3/3", "--stores", str(tmp_path / "s.json"))
    assert bad.returncode == 2 and "--shard" in bad.stderr
