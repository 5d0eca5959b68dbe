"""The payment inbox (issue 17, item 3): a verified notification is recorded and answered at
once, then settled in a batch. A notification recorded and not settled (the process died
right after answering) is settled after a restart; one delivered five times settles once;
a batch settles the common cases together and the others by their own rules; a notification
whose settlement fails waits alone; two settlers never settle the same one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from tests.conftest import TEST_ACTOR
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.sales.conftest import Bank
from tests.integration.sales.purchase_steps import (
    count_rows,
    one_seat_each,
    order_seats,
    pay_each,
    pay_url,
)
from tests.integration.sales.sale_factories import ROW_A, ROW_B, customers_with_tokens, on_sale

from admit.app import create_app
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.finance.models import LedgerEntry
from admit.messaging.models import OutboundMessage
from admit.payments import inbox
from admit.payments.models import Payment, PaymentInbox
from admit.sales import consistency, notice_settler
from admit.sales.models import Order
from admit.sales.notice_settler import settle_pending
from admit.ticketing.models import Ticket


async def _pay(client: httpx.AsyncClient, bank: Bank, number: str, who: dict[str, str]) -> None:
    await bank.decide(await pay_url(client, number, who))


async def _statuses(runtime: Runtime, numbers: list[str]) -> list[str]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        found = dict((await uow.session.execute(select(Order.number, Order.status))).all())
    return [found[n] for n in numbers]


@pytest.fixture
async def restarted(runtime: Runtime, clock: FixedClock) -> AsyncIterator[Runtime]:
    """A second process on the same database (a restart): its own runtime and wiring."""
    again = Runtime.from_settings(runtime.settings, clock)
    create_app(again, run_worker=False)  # the handlers, the adapters and the settler
    yield again
    await again.close()


async def test_a_recorded_notification_is_settled_after_a_restart(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
    no_settler: None,
    restarted: Runtime,
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    number = await order_seats(client, sid, ann, ROW_A[:2], "inbox-one")
    await _pay(client, bank, number, ann)
    await bank.delivered()
    # Answered and recorded, not settled: the order waits, the inbox holds it.
    assert await _statuses(runtime, [number]) == ["pending_payment"]
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        (entry,) = await inbox.claim(uow, now=clock.now(), limit=10)
    assert (entry.payment_number, entry.status) == (f"{number}P1", "paid")
    # The restarted process's worker cycle settles it.
    await run_once(restarted)
    assert await _statuses(runtime, [number]) == ["paid"]
    assert await count_rows(runtime, Ticket, Ticket.order_number == number) == 2
    assert await count_rows(runtime, PaymentInbox, PaymentInbox.settled_at.is_(None)) == 0


async def test_a_notification_delivered_five_times_settles_once(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
    sms: RecordingSmsGateway,
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    await bank.control(notify_repeats=4)
    number = await order_seats(client, sid, ann, ROW_A[:2], "inbox-one")
    await _pay(client, bank, number, ann)
    await bank.settled()
    (trade,) = await bank.trades()
    assert sum(len(n["attempts"]) for n in trade["notifications"]) == 5
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        (entry,) = (await uow.session.scalars(select(PaymentInbox))).all()
    assert (entry.deliveries, entry.outcome) == (5, "paid")
    assert await count_rows(runtime, Ticket) == 2
    assert await count_rows(runtime, LedgerEntry) == 1
    assert await count_rows(runtime, OutboundMessage, OutboundMessage.channel == "sms") == 1
    assert await count_rows(runtime, Payment, Payment.status == "captured") == 1


async def test_a_batch_settles_the_common_cases_together_and_the_rest_by_their_rules(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
    no_settler: None,
) -> None:
    sid = await on_sale(admin, clock)
    buyers = await customers_with_tokens(runtime, 5)
    numbers = await one_seat_each(client, sid, buyers, ROW_A)
    await pay_each(client, bank, numbers[:3], buyers)
    # The fourth buyer declines; the fifth pays, then cancels before it is settled.
    started = await client.post(
        f"/api/v1/orders/{numbers[3]}/payments", headers=buyers[3], json={"method": "bank"}
    )
    await bank.decide(started.json()["pay_url"], "decline")
    await _pay(client, bank, numbers[4], buyers[4])
    await bank.delivered()
    cancelled = await client.post(f"/api/v1/orders/{numbers[4]}/cancel", headers=buyers[4])
    assert cancelled.status_code == 200, cancelled.text
    assert await count_rows(runtime, PaymentInbox, PaymentInbox.settled_at.is_(None)) == 5
    assert await settle_pending(runtime) == 5
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        outcomes = dict(
            (
                await uow.session.execute(select(PaymentInbox.payment_number, PaymentInbox.outcome))
            ).all()
        )
    assert [outcomes[f"{n}P1"] for n in numbers] == ["paid", "paid", "paid", "declined", "late"]
    assert (await _statuses(runtime, numbers))[:4] == ["paid", "paid", "paid", "cancelled"]
    for number in numbers[:3]:
        assert await count_rows(runtime, Ticket, Ticket.order_number == number) == 1
    assert await count_rows(runtime, LedgerEntry) == 4  # three captures and the late one
    # The cancelled order's seat is still free: the late payment's job takes it again.
    await run_once(runtime)
    assert (await _statuses(runtime, numbers))[4] == "paid"
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert await consistency.problems(uow) == []


async def test_a_notification_that_fails_to_settle_waits_alone(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
    no_settler: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sid = await on_sale(admin, clock)
    buyers = await customers_with_tokens(runtime, 3)
    numbers = await one_seat_each(client, sid, buyers, ROW_A)
    await pay_each(client, bank, numbers, buyers)
    await bank.delivered()
    poisoned = f"{numbers[1]}P1"
    real_batch, real_apply = notice_settler.capture_batch, notice_settler.apply_state

    async def batch_breaks_on_it(uow, crypto, entries, now):  # type: ignore[no-untyped-def]
        if any(e.payment_number == poisoned for e in entries):
            raise RuntimeError("a bug met in the batch")
        return await real_batch(uow, crypto, entries, now)

    async def apply_breaks_on_it(uow, crypto, *, number, **rest):  # type: ignore[no-untyped-def]
        if number == poisoned:
            raise RuntimeError("the same bug, alone")
        return await real_apply(uow, crypto, number=number, **rest)

    monkeypatch.setattr(notice_settler, "capture_batch", batch_breaks_on_it)
    monkeypatch.setattr(notice_settler, "apply_state", apply_breaks_on_it)
    assert await settle_pending(runtime) == 3
    assert await _statuses(runtime, numbers) == ["paid", "pending_payment", "paid"]
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        entry = await uow.session.scalar(
            select(PaymentInbox).where(PaymentInbox.payment_number == poisoned)
        )
        assert entry is not None
        assert (entry.attempts, entry.settled_at) == (1, None)
        assert "the same bug, alone" in (entry.last_error or "")
        # Put off: the next batch does not take it before its back-off.
        assert await inbox.claim(uow, now=clock.now(), limit=10) == []
    for _ in range(inbox.MAX_ATTEMPTS - 1):
        clock.advance(timedelta(minutes=11))
        await settle_pending(runtime)
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        found = await consistency.problems(uow)
    assert found == [f"the notification of payment {poisoned} failed every attempt to settle it"]
    # Once mended (the bug fixed), an operator's retry settles it.
    monkeypatch.setattr(notice_settler, "apply_state", real_apply)
    async with runtime.uow(TEST_ACTOR) as uow:
        await uow.session.execute(update(PaymentInbox).values(attempts=0, retry_after=None))
    clock.advance(timedelta(minutes=1))
    await settle_pending(runtime)
    # Its time to pay ran out while it waited: it is settled late (the seat taken again).
    await run_once(runtime)
    assert (await _statuses(runtime, numbers))[1] == "paid"


async def test_two_settlers_never_settle_the_same_notification(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
    no_settler: None,
    restarted: Runtime,
) -> None:
    sid = await on_sale(admin, clock)
    buyers = await customers_with_tokens(runtime, 6)
    seats = [*ROW_A, ROW_B[0]]
    numbers = await one_seat_each(client, sid, buyers, seats)
    await pay_each(client, bank, numbers, buyers)
    await bank.delivered()
    taken = await asyncio.gather(
        settle_pending(runtime, limit=2),
        settle_pending(restarted, limit=2),
        settle_pending(runtime, limit=2),
        settle_pending(restarted, limit=2),
    )
    assert sum(taken) >= 6
    await notice_settler.settle_all(runtime)
    assert await _statuses(runtime, numbers) == ["paid"] * 6
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        outcomes = (await uow.session.scalars(select(PaymentInbox.outcome))).all()
    assert outcomes == ["paid"] * 6  # settled twice, one would say "duplicate"
    assert await count_rows(runtime, Ticket) == 6
    assert await count_rows(runtime, LedgerEntry) == 6
