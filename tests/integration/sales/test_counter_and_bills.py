"""Cash at a box office (S7, S10), the daily bill against the ledger (C4), a ledger nobody can
edit, the confirmation e-mail through a real SMTP server, and the consistency checker that
the other sales tests rely on catching a broken counter."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from tests.conftest import T0, TEST_ACTOR, Inbox
from tests.integration.sales.conftest import Bank
from tests.integration.sales.sale_factories import (
    ROW_A,
    ROW_B,
    box_office,
    clerk_of,
    counter_order,
    customers_with_tokens,
    on_sale,
)

from admit.accounts.models import Customer, StaffUser
from admit.core.audit import AuditEntry
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.finance.models import LedgerEntry
from admit.messaging.email import EmailSender, SmtpEmailSender
from admit.payments.models import Payment, Refund
from admit.sales import consistency
from admit.sales.models import WindowQuotaSlice
from admit.sales.refunds import request_refund

ADMIN = "/api/v1/admin"


async def test_cash_at_the_counter_pays_at_once_and_is_billed(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    admin_headers = dict(client.headers)
    clerk = await box_office(admin, runtime, sid)
    hold = await client.post(
        f"/api/v1/counter/sessions/{sid}/holds",
        headers=clerk,
        json={"channel": "box_office", "outlet": "BO-1", "seats": ROW_B[:2]},
    )
    assert hold.status_code == 201, hold.text
    elsewhere = await client.post(
        f"/api/v1/counter/sessions/{sid}/holds",
        headers=clerk,
        json={"channel": "box_office", "outlet": "BO-2", "seats": ROW_B[2:3]},
    )
    assert elsewhere.status_code == 403  # the clerk's grant covers outlet BO-1 only
    order = await client.post(
        f"/api/v1/counter/holds/{hold.json()['id']}/order",
        headers={**clerk, "Idempotency-Key": "counter-order-1"},
        json={"lines": [{"seat": s} for s in ROW_B[:2]]},
    )
    assert order.status_code == 201, order.text
    number, total = order.json()["number"], order.json()["total"]
    short = await client.post(
        f"/api/v1/counter/orders/{number}/cash", headers=clerk, json={"received": total - 1}
    )
    assert short.status_code == 400
    paid = await client.post(
        f"/api/v1/counter/orders/{number}/cash", headers=clerk, json={"received": total + 500}
    )
    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert (body["change"], body["order"]["status"]) == (500, "paid")
    assert body["pickup_code"]
    again = await client.post(
        f"/api/v1/counter/orders/{number}/cash", headers=clerk, json={"received": total}
    )
    assert again.json()["error"]["code"] == "not_payable"  # never paid twice

    client.headers.update(admin_headers)
    balances = (await admin.get(f"{ADMIN}/finance/ledger/balances")).json()
    assert balances["accounts"]["cash:BO-1"] == total
    assert balances["total"] == 0
    day = clock.now().date().isoformat()
    organiser = next(
        int(a.split(":")[1]) for a in balances["accounts"] if a.startswith("organiser:")
    )
    bill = (await admin.get(f"{ADMIN}/finance/bills/{organiser}/{day}")).json()
    assert (bill["paid"], bill["refunded"], bill["net"], bill["ledger_net"]) == (
        total,
        0,
        total,
        total,
    )
    assert bill["matches_ledger"] is True
    assert [(ln["type"], ln["method"], ln["amount"]) for ln in bill["lines"]] == [
        ("pay", "cash", total)
    ]
    csv = await admin.get(f"{ADMIN}/finance/bills/{organiser}/{day}.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert f",pay,{number}P1,{number},cash,{total}\n" in csv.text
    assert f"ledger_net,{total}" in csv.text
    kiosk_reads_bill = await client.get(f"{ADMIN}/finance/bills/{organiser}/{day}", headers=clerk)
    assert kiosk_reads_bill.status_code == 403


async def test_the_daily_bill_sums_match_the_ledger_with_refunds(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    admin_headers = dict(client.headers)
    ann, bob, cy = await customers_with_tokens(runtime, 3)
    await bank.control(lose_notifications=True)
    numbers = []
    for who, seats, key in ((ann, ROW_A[:2], "bill-order-a"), (bob, ROW_A[2:3], "bill-order-b")):
        hold = await client.post(
            f"/api/v1/sessions/{sid}/holds", headers=who, json={"seats": seats}
        )
        order = await client.post(
            f"/api/v1/holds/{hold.json()['id']}/order",
            json={"lines": [{"seat": s} for s in seats]},
            headers={**who, "Idempotency-Key": key},
        )
        assert order.status_code == 201, order.text
        numbers.append(order.json()["number"])
        started = await client.post(
            f"/api/v1/orders/{order.json()['number']}/payments", headers=who, json={}
        )
        await bank.decide(started.json()["pay_url"])
    # Ann's payment is confirmed at once; Bob's is only found after his hold expired and
    # Cy took his seat: it is refunded.
    back = await client.get(
        "/api/v1/payments/return/bank", params={"out_trade_no": f"{numbers[0]}P1"}
    )
    assert back.json()["order_status"] == "paid"
    clock.advance(timedelta(minutes=16))
    cy_hold = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=cy, json={"seats": ROW_A[2:3]}
    )
    assert cy_hold.status_code == 201
    for _ in range(3):
        await run_once(runtime)
    client.headers.update(admin_headers)
    balances = (await admin.get(f"{ADMIN}/finance/ledger/balances")).json()
    assert balances["total"] == 0
    organiser = next(
        int(a.split(":")[1]) for a in balances["accounts"] if a.startswith("organiser:")
    )
    bill = (await admin.get(f"{ADMIN}/finance/bills/{organiser}/{clock.now().date()}")).json()
    kinds = sorted((ln["type"], ln["amount"]) for ln in bill["lines"])
    assert kinds == [("pay", 8000), ("pay", 16000), ("refund", -8000)]
    assert (bill["paid"], bill["refunded"], bill["net"]) == (24000, 8000, 16000)
    assert (
        bill["ledger_net"] == bill["net"] == -balances["accounts"][f"organiser:{organiser}:payable"]
    )
    assert balances["accounts"]["gateway:bank"] == 16000


async def test_the_ledger_cannot_be_edited(runtime: Runtime) -> None:
    from admit.finance import ledger

    async with runtime.uow(TEST_ACTOR) as uow:
        await uow.session.execute(
            text("INSERT INTO organiser (code, name, created_at) VALUES ('L', 'L', :t)"),
            {"t": T0},
        )
        organiser = int((await uow.session.execute(text("SELECT id FROM organiser"))).scalar_one())
        captured = ledger.moved(
            kind="capture",
            ref="P-1",
            organiser_id=organiser,
            currency="CNY",
            debit="gateway:bank",
            credit=ledger.payable_account(organiser),
            amount=100,
            at=T0,
        )
        assert await ledger.post_many(uow, [captured]) == {("capture", "P-1")}
        assert await ledger.post_many(uow, [captured]) == set()  # posted once
        with pytest.raises(ledger.Unbalanced):
            await ledger.post(
                uow,
                kind="capture",
                ref="P-2",
                organiser_id=organiser,
                currency="CNY",
                lines=[("gateway:bank", 100), ("x", -99)],
                at=T0,
            )
    for statement in ("UPDATE ledger_line SET amount = 1", "DELETE FROM ledger_entry"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with runtime.uow(TEST_ACTOR) as uow:
                await uow.session.execute(text(statement))


async def test_the_confirmation_goes_by_email_through_smtp(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
    smtp_server: tuple[int, Inbox],
) -> None:
    port, inbox = smtp_server
    runtime.register(EmailSender, SmtpEmailSender("127.0.0.1", port))  # type: ignore[type-abstract]
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    async with runtime.uow(TEST_ACTOR) as uow:
        await uow.session.execute(update(Customer).values(email="ann@example.org"))
    hold = await client.post(
        f"/api/v1/sessions/{sid}/holds", headers=ann, json={"seats": ROW_A[:1]}
    )
    order = await client.post(
        f"/api/v1/holds/{hold.json()['id']}/order",
        json={"lines": [{"seat": ROW_A[0]}]},
        headers={**ann, "Idempotency-Key": "mail-order"},
    )
    number = order.json()["number"]
    started = await client.post(f"/api/v1/orders/{number}/payments", headers=ann, json={})
    await bank.decide(started.json()["pay_url"])
    await bank.settled()
    await run_once(runtime)
    [(recipients, message)] = inbox.messages
    assert recipients == ["ann@example.org"]
    assert number in message["Subject"]
    pickup = (await client.get(f"/api/v1/orders/{number}", headers=ann)).json()["pickup_code"]
    assert pickup in message.get_content()
    assert "Row A" in message.get_content()
    listed = (await admin.get("/api/v1/admin/messages")).json()
    assert {m["channel"]: m["status"] for m in listed} == {"sms": "sent", "email": "sent"}


async def test_the_checker_catches_a_broken_counter(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    (ann,) = await customers_with_tokens(runtime, 1)
    await client.post(f"/api/v1/sessions/{sid}/holds", headers=ann, json={"seats": ROW_A[:2]})
    async with runtime.uow(TEST_ACTOR) as uow:
        assert await consistency.problems(uow) == []
        await uow.session.execute(update(WindowQuotaSlice).values(held=WindowQuotaSlice.held + 1))
        found = await consistency.problems(uow)
        await uow.session.execute(update(WindowQuotaSlice).values(held=WindowQuotaSlice.held - 1))
    assert any("sales_window_quota" in p and "holds say 2/0" in p for p in found), found


async def test_a_cash_refund_waits_for_a_clerk_of_its_outlet_to_hand_it_over(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    admin_headers = dict(client.headers)
    clerk = await box_office(admin, runtime, sid)
    other = await admin.post(
        f"{ADMIN}/outlets", json={"channel": "box_office", "code": "BO-2", "name": "Gate B kiosk"}
    )
    assert other.status_code == 201, other.text
    stranger = await clerk_of(runtime, "BO-2", "kiosk2")
    order = await counter_order(client, clerk, sid, ROW_B[:1], "counter-refund-1")
    number, total = order["number"], order["total"]
    paid = await client.post(
        f"/api/v1/counter/orders/{number}/cash", headers=clerk, json={"received": total}
    )
    assert paid.status_code == 200, paid.text
    async with runtime.uow(TEST_ACTOR) as uow:
        payment = await uow.session.scalar(select(Payment).where(Payment.number == f"{number}P1"))
        assert payment is not None
        refund = await request_refund(uow, payment, amount=total, reason="buyer", now=clock.now())
        refund_number = refund.number

    async def ledger() -> tuple[dict[str, int], dict[str, int]]:
        body = (await admin.get(f"{ADMIN}/finance/ledger/balances", headers=admin_headers)).json()
        assert body["total"] == 0
        return body["accounts"], body["owed"]

    async def state() -> tuple[str, int]:
        async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
            row = await uow.session.scalar(select(Refund).where(Refund.number == refund_number))
            entries = await uow.session.scalar(select(func.count()).select_from(LedgerEntry))
        assert row is not None
        return row.status, int(entries or 0)

    # Nobody has handed money back: the worker does not complete it, the drawer still holds
    # the money and the balances show it owed.
    for _ in range(2):
        await run_once(runtime)
    assert await state() == ("requested", 1)
    accounts, owed = await ledger()
    assert (accounts["cash:BO-1"], owed) == (total, {"cash:BO-1": total})

    url = f"/api/v1/counter/refunds/{refund_number}/handed-over"
    refused = await client.post(url, headers=stranger)  # a clerk of another outlet
    assert refused.status_code == 403, refused.text
    assert (await client.post("/api/v1/counter/refunds/NOPE1/handed-over", headers=clerk)).json()[
        "error"
    ]["code"] == "not_found"
    assert await state() == ("requested", 1)

    done = await client.post(url, headers=clerk)
    assert done.status_code == 200, done.text
    assert {k: done.json()[k] for k in ("number", "outlet", "amount", "status")} == {
        "number": refund_number,
        "outlet": "BO-1",
        "amount": total,
        "status": "done",
    }
    again = await client.post(url, headers=clerk)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "refund_already_handed_over")
    await run_once(runtime)
    assert await state() == ("done", 2)  # the refund's entry, posted once
    accounts, owed = await ledger()
    assert (accounts["cash:BO-1"], owed) == (0, {})
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        audited = (
            await uow.session.execute(
                select(AuditEntry.actor, AuditEntry.data).where(
                    AuditEntry.action == "refund.handed_over"
                )
            )
        ).all()
        kiosk1 = await uow.session.scalar(
            select(StaffUser.id).where(StaffUser.username == "kiosk1")
        )
    ((actor, data),) = audited
    assert actor == f"staff:{kiosk1}"
    assert json.loads(data) == {
        "refund": refund_number,
        "amount": total,
        "outlet": "BO-1",
        "staff": "kiosk1",
    }
