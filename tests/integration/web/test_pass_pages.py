"""A pass is bought on the website (issue 27, item 1): the event page offers "Buy the pass";
a signed-in buyer's click holds and orders it and lands on the order to pay; a visitor who is
not signed in signs in first; a pass whose seat is gone sends the buyer back with the reason."""

from __future__ import annotations

import httpx
import pytest

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from tests.integration.sales.pass_factories import festival_on_sale, make_pass
from tests.integration.web.checkout_flows import make_customer, sign_in

pytestmark = pytest.mark.backends


async def test_the_event_page_sells_the_pass_and_sends_the_buyer_to_pay(
    admin: httpx.AsyncClient, web: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    festival = await festival_on_sale(admin, clock)
    pid = await make_pass(admin, festival)
    event_id = festival.event_id

    page = await web.get(f"/events/{event_id}")
    anonymous = await web.post(f"/checkout/passes/{pid}", data={"event_id": str(event_id)})
    await make_customer(runtime, "13500000001")
    await sign_in(web, "13500000001")
    bought = await web.post(f"/checkout/passes/{pid}", data={"event_id": str(event_id)})
    order_page = await web.get(bought.headers["location"])
    again = await web.post(f"/checkout/passes/{pid}", data={"event_id": str(event_id)})

    assert f'action="/checkout/passes/{pid}"' in page.text
    assert "Buy the pass" in page.text
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?")
    assert bought.status_code == 303
    assert bought.headers["location"].startswith("/account/orders/")
    assert order_page.status_code == 200
    assert 'id="pay-order"' in order_page.text
    assert again.status_code == 303
    assert again.headers["location"] == f"/events/{event_id}?msg=pass_seat_taken"
    shown = await web.get(again.headers["location"])
    assert "no longer free in every one of its sessions" in shown.text
