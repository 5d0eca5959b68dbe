"""Real-name sales on the storefront, on SQLite and PostgreSQL: a verified holder for every
ticket, the holders page, and the demo's real-name match."""

from __future__ import annotations

import re
from urllib.parse import urlencode

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


async def _pay_naming(web: httpx.AsyncClient, hold_id: int, page: str, name: str) -> str:
    """Pay for a held seat naming the holder called ``name`` on the checkout ``page``: the
    bank's page it sends the buyer to."""
    option = re.search(r'<option value="(\d+)">' + re.escape(name), page)
    assert option, page
    form = {"key": pay_key(page), "ticket_type": "adult", "holder": option.group(1)}
    return location(await web.post(f"/checkout/{hold_id}/pay", data=form))


async def _verify_self(web: httpx.AsyncClient, number: str, name: str, back: str) -> str:
    """File the buyer's own ID card from the holders page: where the page sends them next."""
    added = await web.post(
        "/account/holders",
        data={"whose": "self", "doc_type": "cn_id", "number": number, "name": name, "next": back},
    )
    return location(added)


async def test_a_real_name_session_needs_a_verified_holder_for_every_ticket(
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock, real_name=True)
    cid = await signed_in_buyer(runtime, web, "13700000070")
    page = await web.get(f"/sessions/{sid}")
    assert "your own identity must be verified first" in page.text
    # Before any seat is held, the buyer verifies their own identity (the time to pay has
    # not started), then comes straight back to hold the same choice.
    asked = await web.post("/checkout/hold", data={"session_id": str(sid), "seat": ROW_A[:1]})
    back = f"/sessions/{sid}?seats={ROW_A[0]}&go=1"
    assert location(asked) == "/account/holders?" + urlencode({"next": back, "msg": "verify_first"})
    assert await orders_of(runtime, cid) == []
    holders_page = await web.get(location(asked))
    assert "verify your own identity first" in holders_page.text
    number, name = next(iter(police_population().items()))
    assert await _verify_self(web, number, name, back) == back
    hold_id = await hold(web, sid, ROW_A[:1])
    page = await web.get(f"/checkout/{hold_id}")
    assert "you must verify your own identity first" not in page.text
    nameless = await web.post(
        f"/checkout/{hold_id}/pay",
        data={"key": pay_key(page.text), "ticket_type": "adult", "holder": ""},
    )
    assert nameless.status_code == 409
    assert "This sale is real-name: name a verified holder for every ticket." in nameless.text
    assert await orders_of(runtime, cid) == []
    page = await web.get(f"/checkout/{hold_id}")
    to_bank = await _pay_naming(web, hold_id, page.text, name)
    assert to_bank.startswith("http://bank.test/pay/")
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        order = await uow.session.scalar(select(Order).where(Order.buyer == f"customer:{cid}"))
        assert order is not None
        assert order.status == "pending_payment"
    holders = await web.get("/account/holders")
    assert "holder-verified" in holders.text
    assert f"{name} · " in holders.text


async def test_a_typo_in_the_own_name_is_explained_and_can_be_corrected(
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    """Issue 32, item 2: a valid number with the wrong name was a dead end — no message,
    "Mine" disabled for good, every purchase refused."""
    sid = await on_sale(admin, clock, real_name=True)
    cid = await signed_in_buyer(runtime, web, "13700000071")
    number, name = list(police_population().items())[1]
    back = f"/sessions/{sid}?seats={ROW_A[1]}&go=1"
    typo = await web.post(
        "/account/holders",
        data={
            "whose": "self",
            "doc_type": "cn_id",
            "number": number,
            "name": name + "X",
            "next": back,
        },
    )
    assert typo.status_code == 422  # said on the form, not a silent trip back
    assert "The name does not match this ID number." in typo.text
    assert "Correct your own identity" in typo.text
    assert not re.search(r'value="self"[^>]*disabled', typo.text)  # "Mine" stays open
    # Filed again with the right name: it replaces the rejected one, and on to the hold.
    assert await _verify_self(web, number, name, back) == back
    holders = (await web.get("/account/holders")).text
    assert holders.count("(you)") == 1
    assert "holder-verified" in holders
    assert "holder-rejected" not in holders
    hold_id = await hold(web, sid, ROW_A[1:2])
    page = await web.get(f"/checkout/{hold_id}")
    assert "you must verify your own identity first" not in page.text
    # ... and buys, naming themself.
    to_bank = await _pay_naming(web, hold_id, page.text, name)
    assert to_bank.startswith("http://bank.test/pay/")
    await bank.decide(to_bank, "approve")
    await bank.settled()
    assert [status for _, status in await orders_of(runtime, cid)] == ["paid"]


async def test_a_rejected_holder_can_be_removed(web: httpx.AsyncClient, runtime: Runtime) -> None:
    await signed_in_buyer(runtime, web, "13700000072")
    number, name = list(police_population().items())[2]
    wrong = await web.post(
        "/account/holders",
        data={"whose": "other", "doc_type": "cn_id", "number": number, "name": "Someone Else"},
    )
    assert wrong.status_code == 422
    identity = re.search(r'action="/account/holders/(\d+)/remove"', wrong.text)
    assert identity, wrong.text
    removed = await web.post(f"/account/holders/{identity.group(1)}/remove", data={})
    assert location(removed) == "/account/holders"
    assert "No holders yet." in (await web.get("/account/holders")).text
    # A verified own identity stays: it is who buys.
    assert await _verify_self(web, number, name, "") == "/account/holders"
    page = (await web.get("/account/holders")).text
    assert "/remove" not in page
    own = re.search(r'data-identity="(\d+)"', page)
    assert own
    kept = await web.post(f"/account/holders/{own.group(1)}/remove", data={})
    assert kept.status_code == 409
    assert "Your verified identity stays on the account." in kept.text


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
    asked = await web.post(
        "/checkout/hold",
        data={"session_id": str(sessions["G-RG-01"]), "level": "B", "quantity": "2"},
    )
    assert location(asked).startswith("/account/holders?next=")  # verify first, then hold
    number, name = list(police_population().items())[0]
    await _verify_self(web, number, name, "")
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


async def test_a_holders_contact_phone_is_changed_on_the_page_and_the_document_stays(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Issue 27, item 3: the holders page sets and removes a holder's contact phone (shown
    masked); the verified document is untouched; a malformed number is refused."""
    await signed_in_buyer(runtime, web, "13700000073")
    number, name = list(police_population().items())[1]
    assert await _verify_self(web, number, name, "") == "/account/holders"
    page = (await web.get("/account/holders")).text
    own = re.search(r'data-identity="(\d+)"', page)
    assert own
    before = re.search(r'<li data-identity="\d+">[^<]*', page)
    assert before
    url = f"/account/holders/{own.group(1)}/phone"
    saved = await web.post(url, data={"contact_phone": "13812345678"})
    assert location(saved) == "/account/holders"
    page = (await web.get("/account/holders")).text
    assert '<span class="holder-phone-number">138****5678</span>' in page
    assert before.group(0) in page, "the name, masked document and status as before"
    assert "verified" in page
    bad = await web.post(url, data={"contact_phone": "12345"})
    assert bad.status_code == 400  # the page's answer to a form field out of its pattern
    assert "138****5678" in (await web.get("/account/holders")).text
    cleared = await web.post(url, data={"contact_phone": ""})
    assert location(cleared) == "/account/holders"
    assert "holder-phone-number" not in (await web.get("/account/holders")).text
    stranger = await web.post("/account/holders/999999/phone", data={"contact_phone": ""})
    assert stranger.status_code == 404
