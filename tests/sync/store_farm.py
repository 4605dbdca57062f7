"""Many simulated stores in one process, speaking the real sync wire to HQ's pullers.

Serving 300 real store processes is too heavy for a test, so one process serves every store's
batches under `/s/{store_id}/sync/v1/...`: each store has its own sync key and its own events
(unique ids, a member join, sales, a day's join rate), sealed into batches with the edge's own
body encoder, gzip and HMAC signature. Listing, bodies and acks follow the wire types, so the
puller cannot tell it from stores. What it does not cover is the edge's sealing loop and
database (tests with real `store-edge serve` processes do); it covers the puller, the wire checks,
the leases and the warehouse. `sealed(...)` gives the oracle: every (store, event id) sealed.

    python store_farm.py PORT STORES BATCHES EVENTS [DELAY_MS]
"""

import asyncio
import hashlib
import socket
import sys
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sync.batches import encode_lines, gzip_fixed  # noqa: E402
from sync.wire import batch_signature  # noqa: E402

EPOCH = "farm-epoch"


def store_id(n: int) -> str:
    return f"farm{n:04d}"


def store_key(sid: str) -> bytes:
    return hashlib.sha256(b"farm-sync-key|" + sid.encode()).digest()


def _events(sid: str, batches: int, per_batch: int) -> list[tuple]:
    """(seq, event_id, type, occurred_at, payload) for one store: joins, sales, a day's join rate."""
    rows = []
    for seq in range(1, batches * per_batch + 1):
        at = f"2026-11-23T{(seq // 60) % 24:02d}:{seq % 60:02d}:00.000Z"
        if seq == 1:
            kind, body = "member.joined", {"member_id": f"{sid}-m1", "phone_hash": f"ph-{sid}", "joined_at": at,
                                           "source": "cashier"}
        elif seq == batches * per_batch:
            kind, body = "join_rate.daily", {"store_id": sid, "business_day": "2026-11-23", "revision": 1,
                                             "transactions": seq - 2, "nonmember_transactions": seq - 2,
                                             "joins": 1, "joins_by_source": {"cashier": 1}, "join_rate_bps": 0}
        else:
            kind, body = "sale.completed", {"sale_id": f"{sid}-s{seq}", "member_id": None, "total_fen": 100 + seq}
        rows.append((seq, f"{sid}-e{seq:05d}", kind, at, msgspec.json.encode(body)))
    return rows


def sealed(stores: int, batches: int, per_batch: int) -> set[tuple[str, str]]:
    """Every (store id, event id) the farm's stores sealed."""
    return {(store_id(n), r[1]) for n in range(stores) for r in _events(store_id(n), batches, per_batch)}


def build(stores: int, batches: int, per_batch: int) -> dict[str, list[tuple[dict, bytes]]]:
    out = {}
    for n in range(stores):
        sid = store_id(n)
        rows = _events(sid, batches, per_batch)
        key = store_key(sid)
        store_batches = []
        for b in range(batches):
            chunk = rows[b * per_batch:(b + 1) * per_batch]
            body = encode_lines(chunk)
            sha = hashlib.sha256(body).hexdigest()
            first, last = chunk[0][0], chunk[-1][0]
            header = {"store_id": sid, "epoch_id": EPOCH, "batch_seq": b + 1, "first_seq": first, "last_seq": last,
                      "count": len(chunk), "sha256": sha, "oldest_at": chunk[0][3], "sealed_at": chunk[-1][3],
                      "signature": batch_signature(key, sid, EPOCH, b + 1, first, last, len(chunk), sha)}
            store_batches.append((header, gzip_fixed(body)))
        out[sid] = store_batches
    return out


def app(farm: dict[str, list[tuple[dict, bytes]]], delay: float):  # noqa: ANN201
    acked: dict[str, int] = {}
    enc = msgspec.json.Encoder()

    async def asgi(scope, receive, send):  # noqa: ANN001, ANN202
        if scope["type"] != "http":
            return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        parts = scope["path"].split("/")  # ['', 's', store, 'sync', 'v1', ...] or ['', 'acks']
        status, headers = 200, [(b"content-type", b"application/json")]
        if parts[1] == "acks":  # for the test: what each store was acknowledged through
            out = enc.encode(acked)
        elif parts[2] not in farm:
            status, out = 404, b'{"title": "no such store"}'
        else:
            sid, rest, batches = parts[2], parts[5:], farm[parts[2]]
            if rest == ["batches"]:
                q = dict(x.split("=", 1) for x in scope["query_string"].decode().split("&") if "=" in x)
                after = int(q.get("after", 0)) if q.get("epoch") == EPOCH else 0
                limit = int(q.get("limit", 100))
                out = enc.encode({"store_id": sid, "epoch_id": EPOCH, "epoch_first_batch_seq": 1,
                                  "last_batch_seq": len(batches), "acked_through": acked.get(sid, 0),
                                  "batches": [h for h, _ in batches[after:after + limit]]})
            elif rest[:1] == ["batches"]:
                await asyncio.sleep(delay)  # a store on a slow link: pullers overlap, a kill lands midway
                header, out = batches[int(rest[1]) - 1]
                headers = [(b"content-type", b"application/x-ndjson"), (b"content-encoding", b"gzip"),
                           (b"x-body-sha256", header["sha256"].encode())]
            else:
                through = msgspec.json.decode(body)["through_batch_seq"]
                acked[sid] = max(acked.get(sid, 0), through)
                out = enc.encode({"epoch_id": EPOCH, "acked_through": acked[sid], "newly_acked": 1,
                                  "pruned_events": 0})
        headers.append((b"content-length", str(len(out)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": out})

    return asgi


def main() -> None:
    import uvicorn

    port, stores, batches, per_batch = (int(x) for x in sys.argv[1:5])
    delay = int(sys.argv[5]) / 1000 if len(sys.argv) > 5 else 0.0
    sock = socket.create_server(("127.0.0.1", port), backlog=1024)  # listening before the farm is built
    uvicorn.run(app(build(stores, batches, per_batch), delay), fd=sock.fileno(), log_level="warning",
                access_log=False)


if __name__ == "__main__":
    main()
