"""The bank simulator's asynchronous notifications: signed form POSTs to the merchant's
``notify_url``, re-sent until answered ``success`` or the retry gaps run out, with the faults
(delay, repeats, loss) the banks show. Every attempt is recorded on the trade."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC

import httpx

from admit.core.signing import sign_params
from admit.payments.bank import ACK
from admit.sims.bank_state import Attempt, BankState, NotificationRecord, Trade

ANSWER_KEPT = 200  # characters of the merchant's answer kept per attempt


class Notifier:
    """Runs one background task per notification. Tasks live only while :meth:`running` is
    entered (the app's lifespan), which cancels and awaits them on the way out."""

    def __init__(self, state: BankState) -> None:
        self._state = state
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        config = self._state.config
        async with httpx.AsyncClient(
            transport=config.notify_transport, timeout=config.notify_timeout_s
        ) as client:
            self._client = client
            try:
                yield
            finally:
                self._client = None
                for task in self._tasks:
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)

    def ensure_running(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("the bank simulator's lifespan is not running: cannot notify")
        return self._client

    def notify(self, trade: Trade) -> NotificationRecord:
        """Schedule the notification of ``trade``'s outcome (paid or declined), unless
        notifications are being lost."""
        client = self.ensure_running()
        faults = self._state.faults
        record = NotificationRecord(
            notify_id=uuid.uuid4().hex,
            trade_status="SUCCESS" if trade.status == "paid" else "FAILED",
            lost=faults.lose_notifications,
        )
        trade.notifications.append(record)
        if record.lost:
            record.done = True
            return record
        work = self._deliver(
            client, trade, record, faults.notify_delay_ms / 1000, faults.notify_repeats
        )
        task = asyncio.create_task(work, name=f"bank-notify-{record.notify_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return record

    async def _deliver(
        self,
        client: httpx.AsyncClient,
        trade: Trade,
        record: NotificationRecord,
        delay_s: float,
        repeats: int,
    ) -> None:
        gaps = self._state.config.notify_retry_delays_s or (0.0,)
        try:
            await asyncio.sleep(delay_s)
            for gap in gaps:
                await asyncio.sleep(gap)
                if await self._attempt(client, trade, record):
                    record.acknowledged = True
                    break
            # Extra copies even though the merchant acknowledged: banks do send duplicates.
            for _ in range(repeats if record.acknowledged else 0):
                await asyncio.sleep(gaps[1] if len(gaps) > 1 else 0.0)
                await self._attempt(client, trade, record)
        finally:
            record.done = True

    async def _attempt(
        self, client: httpx.AsyncClient, trade: Trade, record: NotificationRecord
    ) -> bool:
        """One signed POST (fresh nonce, same ``notify_id``); True when acknowledged."""
        body = {
            "merchant_id": trade.merchant_id,
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
            "amount": str(trade.amount),
            "currency": trade.currency,
            "trade_status": record.trade_status,
            "paid_at": trade.paid_at.astimezone(UTC).isoformat() if trade.paid_at else "",
            "notify_id": record.notify_id,
            "nonce": secrets.token_hex(16),
        }
        body["sign"] = sign_params(body, self._state.config.merchants[trade.merchant_id])
        at = self._state.clock.now()
        try:
            response = await client.post(trade.notify_url, data=body)
        # The merchant's failures are the merchant's: whatever goes wrong (over an in-process
        # transport even its exceptions arrive here), the bank just tries again later.
        except Exception as exc:
            record.attempts.append(Attempt(at, None, f"{type(exc).__name__}: {exc}", False))
            return False
        acknowledged = response.status_code == 200 and response.text.strip() == ACK
        record.attempts.append(
            Attempt(at, response.status_code, response.text[:ANSWER_KEPT], acknowledged)
        )
        return acknowledged
