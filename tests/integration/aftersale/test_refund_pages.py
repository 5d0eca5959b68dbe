"""The refund request on the customer's order page (S11: customers apply online): offered
only while a policy is open for the order, it sends the ticked tickets, and the order page
then lists the request with its state. A request from another site is refused."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from tests.conftest import TEST_ACTOR
from tests.integration.sales.conftest import Bank
from tests.integration.sales.purchase_steps import order_seats, pay_url
from tests.integration.sales.sale_factories import ROW_A, on_sale
from tests.integration.web.checkout_flows import browser, location, signed_in_buyer

from admit.accounts.customers import issue_token
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime

ADMIN = "/api/v1/admin"


async def test_a_customer_requests_a_refund_from_the_order_page(
    app: FastAPI,
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    async with browser(app) as web:
        cid = await signed_in_buyer(runtime, web, "13900001234")
        async with runtime.uow(TEST_ACTOR) as uow:
            token = (await issue_token(uow, cid, "test", clock.now())).token
        who = {"Authorization": f"Bearer {token}"}
        number = await order_seats(client, sid, who, ROW_A[:2], "refund-page-1")
        await bank.decide(await pay_url(client, number, who))
        await bank.settled()
        tickets = (await client.get(f"/api/v1/orders/{number}/tickets", headers=who)).json()

        page = await web.get(f"/account/orders/{number}")
        assert page.status_code == 200, page.text
        assert 'id="refund-form"' not in page.text  # refunds are closed: nothing offered

        opened = await admin.put(
            f"{ADMIN}/sessions/{sid}/refund-policy",
            json={"reason": "postponed", "note": "new date 12 Dec", "fee_percent_bp": 1000},
        )
        assert opened.status_code == 200, opened.text
        page = await web.get(f"/account/orders/{number}")
        assert 'id="refund-form"' in page.text
        assert "The session was postponed: new date 12 Dec" in page.text
        assert "10.0 %" in page.text
        for t in tickets:
            assert f'value="{t["code"]}"' in page.text

        foreign = await web.post(
            f"/account/orders/{number}/refund-requests",
            data={"tickets": [tickets[0]["code"]]},
            headers={"Origin": "http://evil.test"},
        )
        assert foreign.status_code == 403
        sent = await web.post(
            f"/account/orders/{number}/refund-requests",
            data={"tickets": [tickets[0]["code"]], "reason": "cannot come"},
        )
        assert location(sent) == f"/account/orders/{number}?msg=refund_requested"
        page = await web.get(location(sent))
        assert "Your refund request was received" in page.text
        assert 'id="refund-requests"' in page.text
        listed = page.text.split('id="refund-requests"', 1)[1].split("</ul>", 1)[0]
        assert "1 ticket · 72.00 CNY back (8.00 CNY fee)" in listed
        assert '<span class="refund-status">requested</span>' in listed
        requests = (await client.get("/api/v1/refund-requests", headers=who)).json()
        assert [(r["tickets"], r["refund"], r["reason"]) for r in requests] == [
            (1, 7200, "cannot come")
        ]
