"""The settlement worker (``admit settle``, issue 17, items 3 and 5): settles the payment inbox
as notifications are recorded. On PostgreSQL it LISTENs on ``admit_payment_inbox`` (a trigger
notifies when a notification is recorded, migration 0023) and settles at once, in batches;
it also settles at every poll, so a lost connection or a notification recorded while it was
reconnecting waits at most one poll. Any number of settlement workers run side by side (they
take disjoint batches) with the web processes' own settlers, or instead of them
(``ADMIT_SETTLE_IN_SERVER=false``): a process of its own is not queued behind a loaded web
process's requests."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
import structlog
from sqlalchemy.engine import make_url

from admit.core.reachability import database_unreachable
from admit.core.runtime import Runtime
from admit.sales.notice_settler import BATCH, SWEEP_BATCHES, settle_all

log = structlog.get_logger(__name__)
CHANNEL = "admit_payment_inbox"


class _Listener:
    """A connection of its own that LISTENs for recorded notifications (PostgreSQL only)."""

    def __init__(self, rt: Runtime, wake: asyncio.Event) -> None:
        self.rt = rt
        self.wake = wake
        self.conn: Any = None

    async def ensure(self) -> None:
        if self.rt.engine.dialect.name != "postgresql":
            return
        if self.conn is not None and not self.conn.is_closed():
            return
        url = make_url(self.rt.settings.effective_database_url).set(drivername="postgresql")
        try:
            self.conn = await asyncpg.connect(
                url.render_as_string(hide_password=False),
                timeout=self.rt.settings.db_connect_timeout_seconds,
            )
            await self.conn.add_listener(CHANNEL, lambda *_: self.wake.set())
            self.wake.set()  # what was recorded while not listening
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            self.conn = None
            self.rt.database.lost(exc)

    async def close(self) -> None:
        if self.conn is not None and not self.conn.is_closed():
            with contextlib.suppress(Exception):
                await self.conn.close()


async def settle_as_recorded(rt: Runtime, stop: asyncio.Event, *, poll: float) -> None:
    """Settle the inbox whenever a notification is recorded, and at least every ``poll``
    seconds, until ``stop`` is set (the batch under way finishes)."""
    wake = asyncio.Event()
    listener = _Listener(rt, wake)
    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            await listener.ensure()
            woken = asyncio.create_task(wake.wait())
            await asyncio.wait({woken, stopping}, timeout=poll, return_when="FIRST_COMPLETED")
            woken.cancel()
            wake.clear()
            if stop.is_set():
                break
            try:
                if await settle_all(rt) >= SWEEP_BATCHES * BATCH:
                    wake.set()  # more than a round's worth: straight on
                rt.database.found()
            except Exception as exc:
                if database_unreachable(exc):
                    rt.database.lost(exc)
                else:
                    log.error("settlement_failed", error=repr(exc))
    finally:
        stopping.cancel()
        await listener.close()
