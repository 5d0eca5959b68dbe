"""Real-name sales on the storefront, on SQLite and PostgreSQL: a verified holder for every
ticket, the holders page, and the demo's real-name match."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from admit.catalog.models import Event, Session
from admit.cli.demo_data import seed_demo
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.sales.models import Order
from tests.conftest import TEST_ACTOR, police_population
from tests.integration.sales.conftest import Bank, consistent  # noqa: F401 (after every test)
from tests.integration.sales.sale_factories import ROW_A, on_sale
from tests.integration.web.checkout_flows import (
    hold,
    location,
    orders_of,
    pay_key,
    signed_in_buyer,
)


async def test_a_real_name_session_needs_a_verified_holder_for_every_ticket(
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock, real_name=True)
    cid = await signed_in_buyer(runtime, web, "13700000070")
    hold_id = await hold(web, sid, ROW_A[:1])
    page = await web.get(f"/checkout/{hold_id}")
    assert "you must verify your own identity first" in page.text
    assert f'href="/account/holders?next=/checkout/{hold_id}"' in page.text
    nameless = await web.post(
        f"/checkout/{hold_id}/pay",
        data={"key": pay_key(page.text), "ticket_type": "adult", "holder": ""},
    )
    assert nameless.status_code == 409
    assert "This sale is real-name: name a verified holder for every ticket." in nameless.text
    assert await orders_of(runtime, cid) == []

    number, name = next(iter(police_population().items()))
    added = await web.post(
        "/account/holders",
        data={
            "whose": "self",
            "doc_type": "cn_id",
            "number": number,
            "name": name,
            "next": f"/checkout/{hold_id}",
        },
    )
    assert location(added) == f"/checkout/{hold_id}"
    page = await web.get(f"/checkout/{hold_id}")
    assert "you must verify your own identity first" not in page.text
    option = re.search(r'<option value="(\d+)">' + re.escape(name), page.text)
    assert option, page.text
    to_bank = location(
        await web.post(
            f"/checkout/{hold_id}/pay",
            data={"key": pay_key(page.text), "ticket_type": "adult", "holder": option.group(1)},
        )
    )
    assert to_bank.startswith("http://bank.test/pay/")
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        order = await uow.session.scalar(select(Order).where(Order.buyer == f"customer:{cid}"))
        assert order is not None
        assert order.status == "pending_payment"
    holders = await web.get("/account/holders")
    assert "holder-verified" in holders.text
    assert f"{name} · " in holders.text


async def test_a_document_that_does_not_verify_is_shown_on_the_holders_page(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    await signed_in_buyer(runtime, web, "13700000080")
    bad = await web.post(
        "/account/holders",
        data={
            "whose": "self",
            "doc_type": "cn_id",
            "number": "110105194912310021",
            "name": "Nobody",
        },
    )
    assert bad.status_code == 400
    assert 'id="form-problem"' in bad.text
    not_a_date = await web.post(
        "/account/holders",
        data={
            "whose": "other",
            "doc_type": "foreign_passport",
            "number": "E1234567",
            "name": "Ann Smith",
            "nationality": "GB",
            "visa_expires": "2026-02-31",
        },
    )
    assert not_a_date.status_code == 400
    assert "The visa date is not a real date." in not_a_date.text


async def test_the_demo_rugby_match_asks_for_a_verified_holder_and_the_football_does_not(
    web: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    async with runtime.uow(TEST_ACTOR) as uow:
        await seed_demo(uow, now=clock.now(), days=1)
        rows = await uow.session.execute(
            select(Event.number, Session.id).join(Session, Session.event_id == Event.id)
        )
        sessions = {number: sid for number, sid in rows if number.startswith("G-")}
    await signed_in_buyer(runtime, web, "13700000090")
    pages = {}
    for number in ("G-RG-01", "G-FB-01"):
        held = await web.post(
            "/checkout/hold",
            data={"session_id": str(sessions[number]), "level": "B", "quantity": "2"},
        )
        pages[number] = (await web.get(location(held))).text
    rugby, football = pages["G-RG-01"], pages["G-FB-01"]
    assert rugby.count('name="holder"') == 2
    assert "This session sells real-name tickets" in rugby
    assert "you must verify your own identity first" in rugby
    assert 'name="holder"' not in football
    assert "real-name-note" not in football
    assert football.count('class="held-item"') == 2
    assert 'id="total">560.00 CNY<' in football


async def test_the_holders_page_refuses_a_name_a_spreadsheet_would_run(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The page files documents through the same name rules as the API (issue 30, item 15):
    a name beginning with a formula character is refused and nothing is filed."""
    await signed_in_buyer(runtime, web, "13700000081")
    refused = await web.post(
        "/account/holders",
        data={
            "whose": "other",
            "doc_type": "foreign_passport",
            "number": "E7654321",
            "name": '=HYPERLINK("http://x.test")',
            "nationality": "GB",
            "visa_expires": "2030-01-31",
        },
    )
    assert refused.status_code == 400
    assert 'id="form-problem"' in refused.text
    holders = await web.get("/account/holders")
    assert "E7654321"[-4:] not in holders.text
    assert "HYPERLINK" not in holders.text
