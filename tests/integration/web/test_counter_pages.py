"""The counter's pages (issue 19, item 1; FE2, G19, U1): a clerk signs in at /counter/login,
finds a session with what remains, holds seats, checks one identity per ticket on the spot,
orders, takes cash (the change shown) and gets the tickets; staff who do not sell are refused
at sign-in; the shift's till report sums what the clerk took."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from admit.accounts.models import Customer
from admit.core.clock import FixedClock
from admit.core.permissions import Role
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.payments.models import Payment
from admit.sales.models import Order, OrderLine
from admit.sales.refunds import request_refund
from admit.ticketing.models import Ticket
from tests.conftest import ROOT_PASSWORD, TEST_ACTOR, police_population
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.sales.sale_factories import ROW_A, ROW_B
from tests.integration.web.counter_world import (
    counter_session,
    location,
    make_clerk,
    refusal_code,
    sign_in,
)

pytestmark = pytest.mark.backends
PEOPLE = list(police_population().items())


async def test_a_real_name_sale_at_the_counter(
    admin: httpx.AsyncClient, web: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid, _ = await counter_session(admin, clock, real_name=True)
    await make_clerk(runtime, "kiosk1")
    first = await web.get("/counter/")
    assert location(first).startswith("/counter/login?next=")
    assert location(await sign_in(web, "kiosk1")) == "/counter/"

    home = await web.get("/counter/")
    assert home.status_code == 200, home.text
    assert f'data-session="{sid}"' in home.text
    assert "Remaining" in home.text
    sale = await web.get(f"/counter/sessions/{sid}")
    assert sale.status_code == 200
    assert f'data-seat="{ROW_A[0]}"' in sale.text
    assert "real-name" in sale.text

    held = location(
        await web.post(f"/counter/sessions/{sid}/hold", data={"seat": ROW_A[:2], "quantity": ""})
    )
    hold_id = held.rsplit("/", 1)[1]
    assert held == f"/counter/holds/{hold_id}"
    page = await web.get(held)
    assert page.status_code == 200
    assert f'data-seat="{ROW_A[1]}"' in page.text

    nobody = await web.post(
        f"{held}/order", data={"seat": ROW_A[:2], "ticket_type": ["adult", "adult"], "ids": ""}
    )
    assert nobody.status_code == 409
    assert refusal_code(nobody) == "real_name_required"

    async def check(line: int, person: tuple[str, str], ids: str) -> dict[str, list[str]]:
        number, name = person
        form = {"line": str(line), "doc_type": "cn_id", "name": name, "number": number}
        to = location(await web.post(f"{held}/check", data={**form, "ids": ids}))
        return parse_qs(urlsplit(to).query, keep_blank_values=True)

    one = await check(0, PEOPLE[0], "")
    assert one["checked"] == ["0:verified"]
    assert one["ids"][0].endswith(",")
    wrong = await check(1, (PEOPLE[1][0], "王五"), one["ids"][0])
    assert wrong["checked"] == ["1:rejected"]
    assert wrong["ids"] == one["ids"]
    both = await check(1, PEOPLE[1], one["ids"][0])
    ids = both["ids"][0]
    assert both["checked"] == ["1:verified"]
    assert all(ids.split(","))
    shown = await web.get(held, params={"ids": ids})
    assert shown.text.count("data-holder=") == 2

    ordered = location(
        await web.post(
            f"{held}/order", data={"seat": ROW_A[:2], "ticket_type": ["adult", "adult"], "ids": ids}
        )
    )
    number = ordered.rsplit("/", 1)[1]
    pending = await web.get(ordered)
    assert 'id="take-cash"' in pending.text
    assert 'id="pay-card"' in pending.text
    assert 'id="pay-agent"' not in pending.text  # a box office, not an agent

    short = await web.post(f"{ordered}/cash", data={"received": "100"})
    assert short.status_code == 400
    assert refusal_code(short) == "invalid_input"
    paid = location(await web.post(f"{ordered}/cash", data={"received": "200"}))
    assert paid == f"{ordered}?change=4000"
    done = await web.get(paid)
    assert 'id="change">40.00 CNY<' in done.text
    assert done.text.count("data-ticket=") == 2
    assert 'id="pickup-code"' in done.text
    pdf = await web.get(f"{ordered}/tickets.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")
    assert 'id="print-thermal"' not in done.text  # the outlet has no printer
    unknown = await web.post(f"{ordered}/print", data={"printer": "NOPE"})
    assert unknown.status_code == 404

    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        order = await uow.session.scalar(select(Order).where(Order.number == number))
        assert order is not None
        assert order.status == "paid"
        assert order.buyer.startswith("staff:")
        holders = list(
            await uow.session.scalars(
                select(OrderLine.holder_identity_id).where(OrderLine.order_id == order.id)
            )
        )
        assert [str(h) for h in holders] == ids.split(",")
        payment = await uow.session.scalar(select(Payment).where(Payment.order_number == number))
        assert payment is not None
        assert (payment.method, payment.staff, payment.outlet) == ("cash", "kiosk1", "BO-1")
        codes = list(
            await uow.session.scalars(select(Ticket.code).where(Ticket.order_number == number))
        )
    assert len(codes) == 2


async def test_best_available_by_quantity_then_cash_in_few_steps(
    admin: httpx.AsyncClient, web: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid, _ = await counter_session(admin, clock, real_name=False)
    await make_clerk(runtime, "kiosk1")
    await sign_in(web, "kiosk1")
    held = location(
        await web.post(f"/counter/sessions/{sid}/hold", data={"quantity": "3", "level": "B"})
    )
    page = await web.get(held)
    assert page.text.count('class="hold-line"') == 3
    seats = [
        s
        for s in ROW_B + [f"L1-HALL-C-{n}" for n in range(1, 6)]
        if f'data-seat="{s}"' in page.text
    ]
    assert len(seats) == 3
    assert all("-C-" in s for s in seats)
    ordered = location(
        await web.post(f"{held}/order", data={"seat": seats, "ticket_type": ["adult"] * 3})
    )
    assert location(await web.post(f"{ordered}/cash", data={"received": "150"})).endswith(
        "?change=0"
    )


async def test_sign_in_refuses_staff_who_do_not_sell_and_sign_out_revokes(
    web: httpx.AsyncClient, runtime: Runtime, admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    await counter_session(admin, clock, real_name=False)
    await make_clerk(runtime, "scanner1", role=Role.VALIDATION_STAFF)
    refused = await sign_in(web, "scanner1")
    assert refused.status_code == 403
    assert refusal_code(refused) == "not_a_seller"
    assert "admit_counter" not in web.cookies
    wrong = await web.post(
        "/counter/login", data={"username": "scanner1", "password": "not the password"}
    )
    assert wrong.status_code == 401
    assert refusal_code(wrong) == "unauthorized"
    cross = await web.post(
        "/counter/login",
        data={"username": "scanner1", "password": "x"},
        headers={"Origin": "http://evil.test"},
    )
    assert cross.status_code == 403

    await make_clerk(runtime, "kiosk1")
    await sign_in(web, "kiosk1")
    token = web.cookies["admit_counter"]
    assert (await web.get("/counter/")).status_code == 200
    assert location(await web.post("/counter/logout")) == "/counter/login?msg=signed_out"
    web.cookies.set("admit_counter", token, path="/counter")
    again = await web.get("/counter/")
    assert location(again).startswith("/counter/login")  # the token was revoked


async def test_the_till_report_of_a_shift(
    admin: httpx.AsyncClient, web: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid, _ = await counter_session(admin, clock, real_name=False)
    await make_clerk(runtime, "kiosk1")
    await sign_in(web, "kiosk1")
    assert 'id="no-shift"' in (await web.get("/counter/")).text
    assert location(await web.post("/counter/till/open", data={"opening_float": "100"})) == (
        "/counter/till"
    )
    twice = await web.post("/counter/till/open", data={"opening_float": "0"})
    assert twice.status_code == 409
    assert refusal_code(twice) == "shift_open"
    for seats in (ROW_A[:1], ROW_A[1:3]):
        held = location(await web.post(f"/counter/sessions/{sid}/hold", data={"seat": seats}))
        ordered = location(
            await web.post(
                f"{held}/order", data={"seat": seats, "ticket_type": ["adult"] * len(seats)}
            )
        )
        location(await web.post(f"{ordered}/cash", data={"received": "500"}))
    report = await web.get("/counter/till")
    assert 'data-method="cash"' in report.text
    assert 'id="taken">240.00 CNY<' in report.text  # 3 × ¥80 taken
    assert 'id="cash-expected">340.00 CNY<' in report.text  # the ¥100 float + ¥240
    # The first sale is refunded and the clerk hands the ¥80 back: it leaves the drawer.
    async with runtime.uow(TEST_ACTOR) as uow:
        payment = await uow.session.scalar(
            select(Payment).where(Payment.amount == 8000).order_by(Payment.id)
        )
        assert payment is not None
        refund = await request_refund(
            uow, payment, amount=8000, reason="buyer", now=runtime.clock.now()
        )
        refund_number = refund.number
    login = await web.post(
        "/api/v1/auth/staff/login", json={"username": "kiosk1", "password": ROOT_PASSWORD}
    )
    bearer = {"Authorization": f"Bearer {login.json()['token']}"}
    handed = await web.post(f"/api/v1/counter/refunds/{refund_number}/handed-over", headers=bearer)
    assert handed.status_code == 200, handed.text
    report = await web.get("/counter/till")
    assert 'id="cash-refunded">80.00 CNY<' in report.text
    assert 'id="cash-expected">260.00 CNY<' in report.text  # ¥100 + ¥240 − ¥80
    closed = location(await web.post("/counter/till/close", data={"counted": "250"}))
    final = await web.get(closed)
    assert 'data-open="no"' in final.text
    assert 'id="difference">-10.00 CNY<' in final.text
    assert 'id="no-shift"' in (await web.get("/counter/")).text


async def test_a_customer_registered_on_their_behalf_with_a_verified_real_name(
    admin: httpx.AsyncClient,
    web: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    sms: RecordingSmsGateway,
) -> None:
    await counter_session(admin, clock, real_name=False)
    await make_clerk(runtime, "kiosk1")
    await sign_in(web, "kiosk1")
    phone = "13700137001"
    sent = await client.post("/api/v1/auth/codes", json={"login": phone, "purpose": "register"})
    assert sent.status_code == 202, sent.text
    await run_once(runtime)
    code = sms.sent[-1].params["code"]
    form = {"login": phone, "code": code, "password": "Cust0mer pass!"}
    opened = location(await web.post("/counter/customers", data=form))
    customer_id = int(opened.rsplit("/", 1)[1])
    number, name = PEOPLE[2]
    filed = location(
        await web.post(
            f"{opened}/identity", data={"doc_type": "cn_id", "name": name, "number": number}
        )
    )
    assert filed == f"{opened}?status=verified"
    assert 'data-status="verified"' in (await web.get(filed)).text
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        row = (
            await uow.session.execute(
                select(
                    Customer.source_channel, Customer.registered_by, Customer.registered_outlet
                ).where(Customer.id == customer_id)
            )
        ).one()
    assert tuple(row) == ("kiosk", "staff:2", "BO-1")
    another = await web.get(f"/counter/customers/{customer_id + 1}")
    assert another.status_code == 404
