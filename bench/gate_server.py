"""The gate's server side at stadium size, in-process on SQLite: a 20,160-seat stadium session
with N tickets sold for cash through the sales services (so they are issued and signed as in
production), then what devices cost the server — the first manifest download (every ticket
listed), a download when nothing changed, the update after a refund, and scan uploads in
batches of 1,000. CPU seconds of the process: SQLite runs inside it (aiosqlite's thread),
so this is the whole server-side cost, and other processes on a busy machine do not count."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from admit import tables  # noqa: F401  (every table on the metadata)
from admit.checkin import devices, manifests, scans
from admit.core.clock import FixedClock
from admit.core.config import Settings
from admit.core.runtime import Runtime
from admit.migrations import upgrade
from admit.sales import checkout, holds, order_views, orders
from admit.ticketing import issue
from bench.catalogue import stadium_session
from bench.harness import BENCH_ACTOR

T = TypeVar("T")
ORDER_SIZE = 1000


async def _sell(rt: Runtime, session_id: int, seat_keys: list[str]) -> list[str]:
    """Cash sales of ``seat_keys`` in orders of 1,000 seats; the order numbers."""
    numbers = []
    for start in range(0, len(seat_keys), ORDER_SIZE):
        part = seat_keys[start : start + ORDER_SIZE]
        buyer = f"bench:gate:{start}"
        now = rt.clock.now()
        async with rt.uow(BENCH_ACTOR) as uow:
            hold = await holds.place_hold(
                uow,
                holds.HoldRequest(
                    session_id=session_id, buyer=buyer, channel="web", seat_keys=part
                ),
                now=now,
            )
            order = await orders.place_order(
                uow,
                hold_id=hold.id,
                buyer=buyer,
                lines=[order_views.LineInput(ticket_type="adult", seat=s) for s in part],
                idempotency_key=f"gate-{start}",
                now=now,
            )
            await checkout.pay_cash(
                uow,
                rt.crypto,
                order_number=order.number,
                buyer=buyer,
                staff="bench",
                outlet="bench",
                received=order.total,
                now=now,
            )
            numbers.append(order.number)
    return numbers


async def _timed(work: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    start = time.process_time()
    result = await work()
    return time.process_time() - start, result


async def _measure(rt: Runtime, clock: FixedClock, tickets: int) -> list[dict[str, Any]]:
    place, session_id, keys = await stadium_session(rt, "GATEBENCH", tickets, ORDER_SIZE)
    sell_s, numbers = await _timed(lambda: _sell(rt, session_id, keys))
    figures = [_row("sell and issue tickets (setup)", len(keys), sell_s)]

    async def download(since: int | None) -> dict[str, Any]:
        async with rt.uow(BENCH_ACTOR) as uow:
            return await manifests.document(
                uow, rt.crypto, session_id=session_id, since=since, now=rt.clock.now()
            )

    first_s, doc = await _timed(lambda: download(None))
    figures.append(_row("first manifest download (builds it)", len(doc["tickets"]), first_s))
    again_s, same = await _timed(lambda: download(None))
    figures.append(_row("full download, refreshed < 5 s ago", len(same["tickets"]), again_s))
    clock.advance(manifests.REFRESH_EVERY)
    check_s, _ = await _timed(lambda: download(doc["version"]))
    figures.append(_row("update check, nothing changed (re-reads all)", len(keys), check_s))
    async with rt.uow(BENCH_ACTOR) as uow:
        await issue.set_status(uow, numbers[0], "refunded")
    clock.advance(manifests.REFRESH_EVERY)
    delta_s, delta = await _timed(lambda: download(doc["version"]))
    figures.append(_row("update after a 1,000-ticket refund", len(delta["revoked"]), delta_s))
    figures.append(await _uploads(rt, session_id, place.venue_id, doc))
    return figures


async def _uploads(
    rt: Runtime, session_id: int, venue_id: int, doc: dict[str, Any]
) -> dict[str, Any]:
    now = rt.clock.now()
    async with rt.uow(BENCH_ACTOR) as uow:
        device = (
            await devices.register_device(
                uow,
                device=devices.DeviceInput(
                    number="BENCH-G", device_type="turnstile", venue_id=venue_id
                ),
                now=now,
            )
        ).device
    batch: list[scans.ScanInput] = [
        scans.ScanInput(
            scan_id=str(uuid.uuid4()),
            code=row[0],
            gate="N",
            direction="in",
            result="admitted",
            device_time=now + timedelta(seconds=i),
        )
        for i, row in enumerate(doc["tickets"])
    ]
    start = time.process_time()
    for part in range(0, len(batch), 1000):
        async with rt.uow(BENCH_ACTOR) as uow:
            await scans.record_scans(
                uow,
                session_id=session_id,
                device_id=device.id,
                scans=batch[part : part + 1000],
                now=now,
            )
    return _row(
        "scan uploads (batches of 1,000 admissions)", len(batch), time.process_time() - start
    )


def _row(part: str, count: int, seconds: float) -> dict[str, Any]:
    return {
        "part": part,
        "count": count,
        "seconds": round(seconds, 3),
        "per_second": round(count / seconds) if seconds else 0,
    }


def run(tickets: int = 20_000) -> list[dict[str, Any]]:
    """The server-side figures on a fresh SQLite database."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), run_worker_in_process=False, simulators_in_process=False
        )
        upgrade(settings.effective_database_url)

        async def main() -> list[dict[str, Any]]:
            clock = FixedClock(datetime.now(UTC))
            rt = Runtime.from_settings(settings, clock=clock)
            try:
                return await _measure(rt, clock, tickets)
            finally:
                await rt.close()

        return asyncio.run(main())
