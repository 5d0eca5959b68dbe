"""Gate benchmark: offline validations per second of the reference device client on one core.

N tickets are signed as the platform signs them (Ed25519, ``AD1:`` + Base45), listed in a
manifest document in the server's format, and handed to ``DeviceClient`` through an
in-memory HTTP transport (the network plays no part in offline validation). The device then
validates a shuffled stream of scans — first entries, rescans of tickets already inside
(duplicates) and forged QRs (one byte altered) — exactly as it does at a gate: signature,
manifest, window, policy, local state, and a pending scan kept for upload. The parts are
timed separately to show where the time goes. Run: ``python -m bench.gate``
(``BENCH_GATE_TICKETS``, ``BENCH_GATE_SCANS`` override the sizes)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.console import Console
from rich.table import Table

from admit.checkin import validation
from admit.checkin.device_client import DeviceClient
from admit.ticketing import qr_payload

TICKETS = int(os.environ.get("BENCH_GATE_TICKETS", "20000"))
SCANS = int(os.environ.get("BENCH_GATE_SCANS", "24000"))
SERVER = os.environ.get("BENCH_GATE_SERVER", "1") != "0"  # the server side too (~1 min)
SESSION, KID = 1234, "1-bench0"
DOORS = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
console = Console(width=130)


def _tickets(count: int, private: bytes) -> list[tuple[str, str]]:
    """(code, QR text) of ``count`` stadium tickets."""
    out = []
    for i in range(count):
        code = f"B{i:011d}"
        seat = f"L{1 + i % 2}-{100 + i % 48}-{chr(65 + i % 26)}-{i % 40 + 1}"
        claims = qr_payload.TicketClaims(
            code=code, session_id=SESSION, seat=seat, issued_at=1_790_000_000
        )
        out.append((code, qr_payload.sign(claims, kid=KID, private_key=private)))
    return out


def _manifest(tickets: list[tuple[str, str]], public: bytes) -> dict[str, Any]:
    return {
        "format": validation.FORMAT,
        "session": {"id": SESSION},
        "version": 1,
        "full": True,
        "since": None,
        "admit_from": (DOORS - timedelta(hours=3)).isoformat(),
        "admit_until": (DOORS + timedelta(hours=5)).isoformat(),
        "policy": {
            "reentry": False,
            "identity_check": False,
            "rules": [{"gate": "N", "sections": [], "levels": ["L1", "L2"], "kinds": []}],
        },
        "gates": [{"code": "N", "parent": None}],
        "keys": {KID: base64.urlsafe_b64encode(public).decode().rstrip("=")},
        "columns": ["code", "seat", "section", "level", "kind", "holder", "id_tail"],
        "tickets": [
            [code, f"Seat {i}", str(100 + i % 48), f"L{1 + i % 2}", "adult", None, None]
            for i, (code, _) in enumerate(tickets)
        ],
        "revoked": {},
    }


def _forge(qr: str) -> str:
    data = bytearray(qr_payload.b45decode(qr[len(qr_payload.PREFIX) :]))
    data[-65] ^= 0x01  # issued_at's last byte: well formed, signature no longer matches
    return qr_payload.PREFIX + qr_payload.b45encode(bytes(data))


def _stream(tickets: list[tuple[str, str]], scans: int, rnd: random.Random) -> list[str]:
    """80 % first entries, 10 % rescans of a ticket already scanned, 10 % forged."""
    firsts = [qr for _, qr in rnd.sample(tickets, min(len(tickets), int(scans * 0.8)))]
    dupes = [rnd.choice(firsts) for _ in range(int(scans * 0.1))]
    forged = [_forge(rnd.choice(firsts)) for _ in range(scans - len(firsts) - len(dupes))]
    stream = firsts + forged
    rnd.shuffle(stream)
    for qr in dupes:  # a rescan comes after its first scan
        stream.insert(rnd.randrange(stream.index(qr) + 1, len(stream) + 1), qr)
    return stream


async def _device(doc: dict[str, Any]) -> DeviceClient:
    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/manifest"):
            return httpx.Response(200, json=doc)
        return httpx.Response(200, json={"number": "BENCH-1", "gate": "N", "sessions": []})

    http = httpx.AsyncClient(transport=httpx.MockTransport(serve), base_url="http://gate.test")
    device = DeviceClient(http, "dv_bench.secret")
    await device.whoami()
    await device.sync_manifest(SESSION)
    await http.aclose()
    return device


def _clock() -> float:
    """CPU seconds of this process: what one core spends, even on a busy machine (wall time
    would also count the time other processes had the core)."""
    return time.process_time()


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else 0.0


def _figure(part: str, count: int, seconds: float, note: str = "") -> dict[str, Any]:
    return {
        "part": part,
        "scans": count,
        "seconds": round(seconds, 3),
        "per_second": round(_rate(count, seconds)),
        "us_per_scan": round(seconds / count * 1e6, 1) if count else 0.0,
        "note": note,
    }


def _timed(work: Callable[[], object]) -> float:
    start = _clock()
    work()
    return _clock() - start


def _verify_all(stream: list[str], keys: dict[str, bytes]) -> None:
    for text in stream:
        with contextlib.suppress(qr_payload.ForgedTicket):
            qr_payload.verify(text, keys)


def _ed25519_all(signed: list[bytes], public: bytes) -> None:
    key = Ed25519PublicKey.from_public_bytes(public)
    for data in signed:
        with contextlib.suppress(InvalidSignature):
            key.verify(data[-64:], data[:-64])


def run() -> list[dict[str, Any]]:
    """Measure and return the figures (one dict per measured part, CPU seconds)."""
    rnd = random.Random(7)
    private, public = qr_payload.generate_key()
    tickets = _tickets(TICKETS, private)
    stream = _stream(tickets, SCANS, rnd)
    holder: list[DeviceClient] = []
    load_s = _timed(lambda: holder.append(asyncio.run(_device(_manifest(tickets, public)))))
    device = holder[0]
    results: Counter[str] = Counter()

    def validate_all() -> None:
        for text in stream:
            results[device.validate(text, now=DOORS).result] += 1

    client_s = _timed(validate_all)
    keys = {KID: public}
    verify_s = _timed(lambda: _verify_all(stream, keys))
    decode_s = _timed(lambda: [qr_payload.b45decode(t[4:]) for t in stream])
    signed = [qr_payload.b45decode(t[4:]) for t in stream]
    ed_s = _timed(lambda: _ed25519_all(signed, public))
    n = len(stream)
    mix = ", ".join(f"{k} {v}" for k, v in sorted(results.items()))
    return [
        _figure("device client: validate + keep scan (whole path)", n, client_s, mix),
        _figure("qr_payload.verify (parse + Ed25519)", n, verify_s),
        _figure("Ed25519 verify alone (cryptography)", n, ed_s),
        _figure("Base45 decode alone", n, decode_s),
        _figure("manifest download + load", TICKETS, load_s, "tickets listed per second"),
        *(_server_figures() if SERVER else []),
    ]


def _server_figures() -> list[dict[str, Any]]:
    """The server's side (CPU time, SQLite in process): see ``bench/gate_server.py``."""
    from bench import gate_server

    return [
        {
            "part": f"server: {row['part']}",
            "scans": row["count"],
            "seconds": row["seconds"],
            "per_second": row["per_second"],
            "us_per_scan": round(row["seconds"] / row["count"] * 1e6, 1),
            "note": "server CPU time, SQLite",
            "backend": "SQLite",
        }
        for row in gate_server.run(TICKETS)
    ]


def main() -> None:
    figures = run()
    load = os.getloadavg()[0]
    title = f"Gate: {TICKETS} tickets; device rows in CPU time of one core (load {load:.1f})"
    table = Table(title=title)
    for column in ("part", "count", "seconds", "per second", "µs each", "note"):
        table.add_column(column, justify="left" if column in ("part", "note") else "right")
    for f in figures:
        table.add_row(
            f["part"],
            f"{f['scans']:,}",
            f"{f['seconds']:.3f}",
            f"{f['per_second']:,}",
            f"{f['us_per_scan']:.1f}",
            f["note"],
        )
    console.print(table)


if __name__ == "__main__":
    main()
