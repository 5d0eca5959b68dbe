"""Reconciling a restored database with the bank (issue 34, item 5): while the platform is
reconciling, holds, orders and payments answer 503 ``reconciling`` and the worker only
reconciles; then a payment the bank captured for a known order is settled (paid with its
tickets), one for an order the database never saw is refunded at the bank, an unpaid one is
left open, and a second run changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from tests.conftest import TEST_ACTOR
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.sales.conftest import Bank
from tests.integration.sales.purchase_steps import order_seats, pay_url
from tests.integration.sales.sale_factories import ROW_A, ROW_B, customers_with_tokens, on_sale

from admit.core.audit import AuditEntry, chain_all
from admit.core.clock import FixedClock
from admit.core.platform_mode import enter_reconciling, reconciling
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.finance.models import LedgerEntry
from admit.sales import consistency
from admit.sales.reconcile import reconcile
from admit.ticketing.models import Ticket

DAY = timedelta(days=1)


async def _trade_at_bank(bank: Bank, out_trade_no: str, amount: int, clock: FixedClock) -> None:
    """A trade the restored database has no payment row for, paid at the bank."""
    created = await bank.gateway.create(
        out_trade_no=out_trade_no,
        amount=amount,
        currency="CNY",
        subject="after the backup",
        notify_url="http://admit.test/api/v1/payments/notify/bank",
        return_url="http://admit.test/",
        expires_at=clock.now() + timedelta(minutes=10),
    )
    assert (await bank.decide(created.pay_url)).status_code in (200, 303)


async def _counts(runtime: Runtime) -> tuple[int, int]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        tickets = await uow.session.scalar(select(func.count()).select_from(Ticket))
        entries = await uow.session.scalar(select(func.count()).select_from(LedgerEntry))
    return int(tickets or 0), int(entries or 0)


async def _status(client: httpx.AsyncClient, number: str, who: dict[str, str]) -> str:
    return str((await client.get(f"/api/v1/orders/{number}", headers=who)).json()["status"])


def _by_number(trades: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {t["out_trade_no"]: t for t in trades}


async def test_a_restore_waits_for_reconciliation_then_every_captured_payment_settles_once(
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
    sms: RecordingSmsGateway,
) -> None:
    sid = await on_sale(admin, clock)
    ann, bob, cat, dan = await customers_with_tokens(runtime, 4)
    await bank.control(lose_notifications=True)  # as if paid after the backup was taken
    paid = await order_seats(client, sid, ann, ROW_A[:2], "order-ann")
    await bank.decide(await pay_url(client, paid, ann))  # paid: the database never heard
    unpaid = await order_seats(client, sid, bob, ROW_A[2:4], "order-bob")
    await pay_url(client, unpaid, bob)  # opened, never paid
    later = await order_seats(client, sid, cat, ROW_B[:2], "order-cat")  # its payment opened later
    await _trade_at_bank(bank, f"{later}P1", 16000, clock)
    await _trade_at_bank(bank, "AUNKNOWN0001P1", 8000, clock)  # an order lost with the data
    await bank.settled()
    backup_at = clock.now() - timedelta(minutes=5)
    async with runtime.uow(TEST_ACTOR) as uow:
        await enter_reconciling(uow, backup_at=backup_at, now=clock.now(), note="test")
    sent_before = len(sms.sent)

    # Reconciling: no hold, order or payment; `admit check` names the mode.
    refused = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=dan, json={"seats": ROW_B[2:4]}
    )
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "reconciling"
    assert int(refused.headers["Retry-After"]) > 0
    started = await client.post(
        f"/api/v1/orders/{unpaid}/payments", headers=bob, json={"method": "bank"}
    )
    assert (started.status_code, started.json()["error"]["code"]) == (503, "reconciling")
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert (await consistency.problems(uow))[0].startswith("reconciling since")

    # The worker reconciles (and nothing else) in its next cycle; then sales reopen.
    await run_once(runtime)
    assert len(sms.sent) == sent_before  # confirmations wait for the next cycle
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert await reconciling(uow) is None
    assert await _status(client, paid, ann) == "paid"
    assert await _status(client, later, cat) == "paid"
    assert await _status(client, unpaid, bob) == "pending_payment"
    assert await _counts(runtime) == (4, 2)  # 2 + 2 tickets, two captures
    # Today's statement is not out yet: the unknown trade waits for it (a job after midnight).
    assert _by_number(await bank.trades())["AUNKNOWN0001P1"]["refunded"] == 0
    hold = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=dan, json={"seats": ROW_B[2:4]}
    )
    assert hold.status_code == 201, hold.text
    await run_once(runtime)
    assert len(sms.sent) == sent_before + 2  # ann's and cat's confirmations, once each

    # 00:30 the next day: yesterday's statement is out.
    clock.advance(datetime.combine(clock.now().date(), time(0, 30), UTC) + DAY - clock.now())
    for _ in range(3):
        await run_once(runtime)
    trades = _by_number(await bank.trades())
    assert trades["AUNKNOWN0001P1"]["refunded"] == 8000
    assert trades[f"{paid}P1"]["refunded"] == 0
    assert trades[f"{later}P1"]["refunded"] == 0

    # A second reconciliation (say, a second restore of the same backup) adds nothing.
    before = (await _counts(runtime), await bank.trades())
    async with runtime.uow(TEST_ACTOR) as uow:
        await enter_reconciling(uow, backup_at=backup_at, now=clock.now(), note="again")
    summary = await reconcile(runtime)
    assert summary is not None
    assert summary["unknown_refunded"] == 0
    assert {k: v for k, v in summary.items() if k in ("paid", "late", "refunding")} == {}
    assert (await _counts(runtime), await bank.trades()) == before
    await chain_all(runtime.uow)
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        actions = list(
            (
                await uow.session.scalars(
                    select(AuditEntry.action).where(AuditEntry.entity_type == "platform")
                )
            ).all()
        )
    assert actions == [
        "platform.reconciling",
        "platform.reconciled",
        "platform.reconciling",
        "platform.reconciled",
    ]
