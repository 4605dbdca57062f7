"""Structured log lines without personal data; forwarded headers believed only from configured proxies."""

import json
import logging

import httpx
import pytest

from edge.logformat import JsonFormatter, LogfmtFormatter, scrub

from ops_support import Served


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("store_edge.test", logging.WARNING, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


@pytest.mark.parametrize("text", ["13800138000", "+86 138 0013 8000", "0086-138-0013-8000", "138-0013-8000",
                                  "card 6222021234567890123"])
def test_phones_and_long_digit_runs_are_masked(text):
    masked = scrub(f"lookup failed for {text} at lane L1")
    assert not any(run in masked for run in ("0013", "8000", "6222021234")), masked
    assert masked.startswith("lookup failed for ") and masked.endswith(" at lane L1")


def test_amounts_times_and_ids_stay_readable():
    text = "sale L1-000123 total 2800 fen at 2026-11-23T06:30:00Z, batch 42, 1.5 ms"
    assert scrub(text) == text


def test_a_json_line_is_one_object_with_extras_scrubbed():
    line = JsonFormatter().format(_record("joined %s\nforged line", "13800138000", lane_id="L1",
                                          note="phone 13900139000"))
    assert "\n" not in line
    obj = json.loads(line)
    assert obj["level"] == "warning" and obj["logger"] == "store_edge.test" and obj["lane_id"] == "L1"
    assert "13800138000" not in line and "13900139000" not in line and obj["ts"].endswith("Z")


def test_a_logfmt_line_quotes_and_cannot_be_split():
    line = LogfmtFormatter().format(_record('says "hi"\nlevel=error forged', lane_id="L 1"))
    assert "\n" not in line
    assert 'msg="says \\"hi\\"\\nlevel=error forged"' in line and 'lane_id="L 1"' in line


def test_the_served_process_logs_json_lines(store_dir, tmp_path):
    data_dir, _ = store_dir
    config = tmp_path / "config.toml"
    config.write_text('[log]\nformat = "json"\n')
    with Served(data_dir, "--config", str(config)) as served:
        assert httpx.get(f"{served.url}/api/v1/catalog").status_code == 401  # refused: logged
    lines = [line for line in served.log.read_text().splitlines() if line.strip()]
    objs = [json.loads(line) for line in lines]  # every line is JSON, uvicorn's own included
    assert any(o["logger"] == "uvicorn.error" for o in objs)
    assert any(o["logger"] == "store_edge.access" and "/api/v1/catalog 401" in o["msg"] for o in objs)


def _hits_until_limited(url: str, forwarded: bool) -> int:
    """Public page hits until the per-address limit answers 429, each claiming a new address."""
    with httpx.Client(base_url=url) as client:
        for n in range(1, 200):
            headers = {"X-Forwarded-For": f"203.0.113.{n % 250}"} if forwarded else {}
            if client.get("/j/not-a-token", headers=headers).status_code == 429:
                return n
    return 10_000


def test_forwarded_addresses_are_ignored_unless_from_a_trusted_proxy(store_dir, tmp_path):
    data_dir, _ = store_dir
    # not trusted (the default): claiming other addresses does not escape the limit of the one connecting
    with Served(data_dir) as served:
        assert _hits_until_limited(served.url, forwarded=True) <= 61
    # 127.0.0.1 is the proxy: each forwarded client has its own budget
    config = tmp_path / "config.toml"
    config.write_text('[http]\ntrusted_proxies = ["127.0.0.1"]\n')
    with Served(data_dir, "--config", str(config)) as served:
        assert _hits_until_limited(served.url, forwarded=True) == 10_000
        assert _hits_until_limited(served.url, forwarded=False) <= 61
