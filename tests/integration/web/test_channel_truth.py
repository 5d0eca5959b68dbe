"""What the website may sell, told the same everywhere (issue 32, S5, G7): a sales window may
sell only a share of a price level. With the website's share of level A sold, the home card,
the session page's header, its level list, its section table, best available, the seat map's
configuration and the public ``/sale`` status all show what the website can still sell — and
the box office, with a share of its own, still sells level A. On both databases."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from tests.integration.sales.sale_factories import (
    ROW_A,
    ROW_B,
    box_office,
    customers_with_tokens,
    on_sale,
)
from tests.integration.web.browse_pages import map_config, text_of
from tests.integration.web.checkout_flows import browser, location, signed_in_buyer


async def _sell_the_web_share_of_a(admin: httpx.AsyncClient, runtime: Runtime, sid: int) -> None:
    """Two level-A seats held on the website, whose window sells two of level A."""
    (buyer,) = await customers_with_tokens(runtime, 1)
    held = await admin.post(
        f"/api/v1/sessions/{sid}/holds", json={"seats": ROW_A[:2]}, headers=buyer
    )
    assert held.status_code == 201, held.text


async def test_every_count_shows_the_websites_share(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock, quota_a=2)  # level A: 10 seats, the website sells 2
    page = await admin.get(f"/sessions/{sid}")
    words = text_of(page)
    assert "On sale 12 tickets left" in words  # A 2 + B 10, not the 20 free seats
    assert "Front (A) 80.00 CNY 2 Back (B) 50.00 CNY 10" in words
    assert "Hall Stalls A, B 20 of 20" in words
    assert "The website sells 12 more tickets for this session" in words
    assert {k: v["left"] for k, v in map_config(page)["levels"].items()} == {"A": 2, "B": 10}

    await _sell_the_web_share_of_a(admin, runtime, sid)
    page = await admin.get(f"/sessions/{sid}")
    words = text_of(page)
    assert "On sale 10 tickets left" in words
    assert "Front (A) 80.00 CNY 0 Back (B) 50.00 CNY 10" in words
    # The eight free seats of level A are no longer the website's to sell.
    assert "Hall Stalls A, B 10 of 20" in words
    assert re.findall(r'<option value="([AB])"', page.text) == ["B"]  # best available
    assert {k: v["left"] for k, v in map_config(page)["levels"].items()} == {"A": 0, "B": 10}
    # The same number on the home page's card and the event page.
    event_id = (await admin.get(f"/api/v1/sessions/{sid}")).json()["event"]["id"]
    assert "On sale 10 left from 50.00 CNY" in text_of(await admin.get(f"/events/{event_id}"))
    # And in the public sale status the seat map polls.
    (web,) = (await admin.get(f"/api/v1/sessions/{sid}/sale")).json()
    assert (web["channel"], web["left"], web["remaining"]) == ("web", {"A": 0, "B": 10}, 10)


async def test_the_website_refuses_the_level_and_the_box_office_sells_it(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock, quota_a=2)
    clerk = await box_office(admin, runtime, sid, quota_a=5)
    await _sell_the_web_share_of_a(admin, runtime, sid)
    (buyer,) = await customers_with_tokens(runtime, 1, first=1)
    refused = await admin.post(
        f"/api/v1/sessions/{sid}/holds", json={"seats": ROW_A[2:3]}, headers=buyer
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "sold_out")
    sold = await client.post(
        f"/api/v1/counter/sessions/{sid}/holds",
        headers=clerk,
        json={"channel": "box_office", "outlet": "BO-1", "seats": ROW_A[2:4]},
    )
    assert sold.status_code == 201, sold.text
    shares = {w["channel"]: w for w in (await admin.get(f"/api/v1/sessions/{sid}/sale")).json()}
    assert shares["web"]["left"] == {"A": 0, "B": 10}
    assert shares["box_office"]["left"] == {"A": 3}  # 5, less the two it just held


async def test_a_refused_choice_goes_back_to_the_map_still_chosen(
    app: FastAPI, admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock, quota_a=2)
    await _sell_the_web_share_of_a(admin, runtime, sid)
    async with browser(app) as web:
        await signed_in_buyer(runtime, web, "13700000020")
        wanted = [ROW_A[2], ROW_B[0]]
        refused = await web.post("/checkout/hold", data={"session_id": str(sid), "seat": wanted})
        back = location(refused)
        assert back == f"/sessions/{sid}?msg=sold_out&seats={ROW_A[2]}%2C{ROW_B[0]}"
        page = await web.get(back)
    assert "Sorry, there are not enough tickets left for that choice." in text_of(page)
    # The map gets the choice back; it keeps the seat the website still sells and says why
    # the other went (seatmap.js, checked in the browser tests).
    config = map_config(page)
    assert config["selected"] == wanted
    assert {k: v["left"] for k, v in config["levels"].items()} == {"A": 0, "B": 10}
