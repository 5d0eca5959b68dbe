"""A payment whose notification is lost is found by the platform's own queries (C6, issue 31
item 6): asked about at a short back-off from its opening — not only when its hold expires —
so a buyer who paid and closed the tab has tickets within a minute; settled once whichever
of the query and a late notification comes first; no query is left once it is final."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import httpx
from sqlalchemy import func, select
from tests.conftest import TEST_ACTOR
from tests.integration.sales.conftest import SECRET, Bank
from tests.integration.sales.purchase_steps import order_seats, pay_url
from tests.integration.sales.sale_factories import ROW_A, customers_with_tokens, on_sale

from admit.core.clock import FixedClock
from admit.core.outbox import OutboxJob
from admit.core.runtime import Runtime
from admit.core.signing import sign_params
from admit.core.worker import run_once
from admit.finance.models import LedgerEntry
from admit.payments.models import Payment
from admit.sales.checkout import QUERY_JOB
from admit.ticketing.models import Ticket


async def _open_payment(
    client: httpx.AsyncClient, sid: int, who: dict[str, str], key: str, seats: list[str]
) -> tuple[str, str]:
    """Hold the seats, order them, open a bank payment: the order's number and the pay page."""
    number = await order_seats(client, sid, who, seats, key)
    return number, await pay_url(client, number, who)


async def _counts(runtime: Runtime) -> tuple[int, int, int]:
    """Tickets, ledger entries and query jobs not yet run."""
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        tickets = await uow.session.scalar(select(func.count()).select_from(Ticket))
        entries = await uow.session.scalar(select(func.count()).select_from(LedgerEntry))
        queries = await uow.session.scalar(
            select(func.count())
            .select_from(OutboxJob)
            .where(OutboxJob.kind == QUERY_JOB, OutboxJob.done_at.is_(None))
        )
    return int(tickets or 0), int(entries or 0), int(queries or 0)


async def _status(client: httpx.AsyncClient, number: str, who: dict[str, str]) -> str:
    return str((await client.get(f"/api/v1/orders/{number}", headers=who)).json()["status"])


async def test_a_paid_order_whose_notification_is_lost_is_settled_within_a_minute(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    await bank.control(lose_notifications=True)
    number, pay_url = await _open_payment(client, sid, ann, "query-soon", ROW_A[:2])
    clock.advance(timedelta(seconds=10))
    paid_at = clock.now()
    await bank.decide(pay_url)  # the buyer pays and closes the tab; the bank's word is lost
    await bank.settled()
    await run_once(runtime)
    assert await _status(client, number, ann) == "pending_payment"  # nothing has asked yet

    clock.advance(timedelta(seconds=25))  # 35 s after the opening, 25 s after the payment
    await run_once(runtime)
    assert clock.now() - paid_at < timedelta(seconds=60)
    assert await _status(client, number, ann) == "paid"
    assert await _counts(runtime) == (2, 1, 0)  # tickets, one capture, no query left

    # The bank's notification arrives after all: acknowledged, and nothing moves twice.
    fields = {
        "merchant_id": "admit",
        "out_trade_no": f"{number}P1",
        "trade_no": pay_url.rsplit("/", 1)[1],
        "amount": "16000",
        "currency": "CNY",
        "trade_status": "SUCCESS",
        "paid_at": paid_at.isoformat(),
        "notify_id": "late-1",
        "nonce": "late-nonce-1",
    }
    late = await client.post(
        "/api/v1/payments/notify/bank",
        content=urlencode({**fields, "sign": sign_params(fields, SECRET)}),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert (late.status_code, late.text) == (200, "success")
    assert await _counts(runtime) == (2, 1, 0)
    clock.advance(timedelta(minutes=20))
    await run_once(runtime)
    assert await _counts(runtime) == (2, 1, 0)


async def test_queries_back_off_and_stop_when_the_payment_is_final_or_out_of_time(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    ann, bob = await customers_with_tokens(runtime, 2)
    await bank.control(lose_notifications=True)
    number, pay_url = await _open_payment(client, sid, ann, "query-later", ROW_A[:2])
    opened = clock.now()
    # Queries at 30 s, 1 and 2 minutes find the trade unpaid; each queues the next.
    for seconds in (30, 60, 120):
        clock.advance(opened + timedelta(seconds=seconds) - clock.now())
        await run_once(runtime)
        assert await _status(client, number, ann) == "pending_payment"
        assert (await _counts(runtime))[2] == 1
    clock.advance(timedelta(seconds=30))
    await bank.decide(pay_url)  # paid at 2:30; the query at 3:00 finds it
    await bank.settled()
    clock.advance(timedelta(seconds=30))
    await run_once(runtime)
    assert await _status(client, number, ann) == "paid"
    assert await _counts(runtime) == (2, 1, 0)

    # Bob never pays: asked about every 5 minutes at most until his 15 minutes are up,
    # then the close of the trade ends it and nothing is left to run.
    other, _ = await _open_payment(client, sid, bob, "query-never", ROW_A[2:3])
    for _ in range(8):
        clock.advance(timedelta(minutes=3))
        await run_once(runtime)
    assert await _status(client, other, bob) == "expired"
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        payment = await uow.session.scalar(select(Payment).where(Payment.number == f"{other}P1"))
    assert payment is not None
    assert payment.status == "closed"
    assert (await _counts(runtime))[2] == 0
