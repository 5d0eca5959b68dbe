"""Showtimes and seat plans from the cinemas' own systems (C1, C3): imported with their halls
and prices and put on sale; importing again changes nothing; a session the cinema drops is
cancelled; a partner session's availability is the cinema's, refreshed when viewed; holds
that end unpaid release the cinema's lock, retried until the cinema answers."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy import select

from admit.catalog.models import Session, SessionStatus
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.partners.models import PartnerLock, PartnerSession
from admit.sales.models import Hold, SalesWindow
from tests.conftest import TEST_ACTOR
from tests.integration.partners.conftest import CinemaSim
from tests.integration.partners.partner_flows import (
    API,
    count,
    first_session,
    hold,
    synced,
    work,
)
from tests.integration.sales.sale_factories import customers_with_tokens, states


async def test_showtimes_are_imported_with_halls_and_prices_and_put_on_sale(
    admin: httpx.AsyncClient, runtime: Runtime, cinema: CinemaSim, clock: FixedClock
) -> None:
    new = await synced(admin, runtime, days=2)
    # Two cinemas, three halls, three showtimes a day; today's 10:30 and 14:00 (Shanghai)
    # have started at 16:00 local, so 3 halls x (1 today + 3 tomorrow).
    assert len(new) == 12
    assert await count(runtime, PartnerSession) == 12
    assert await count(runtime, SalesWindow) == 24  # web and mobile each
    assert await synced(admin, runtime, days=2) == []  # nothing new the second time

    sid, code = await first_session_of(runtime, new, "C001-H1-")
    detail = (await admin.get(f"{API}/sessions/{sid}")).json()
    assert detail["event"]["category"] == "cinema"
    assert detail["venue"]["name"] == "Lumière Riverside"
    assert {lv["code"]: lv["prices"] for lv in detail["price_levels"]} == {
        "STD": {"adult": 4500},
        "VIP": {"adult": 6500},
    }
    plan = (await admin.get(f"{API}/sessions/{sid}/availability")).json()
    assert plan["seat_count"] == 8 * 12
    assert plan["levels"] == "0" * 5 * 12 + "1" * 3 * 12  # the back three rows are VIP
    sale = (await admin.get(f"{API}/sessions/{sid}/sale")).json()
    starts = datetime.fromisoformat(detail["session"]["starts_at"])
    assert [
        (
            w["channel"],
            w["state"],
            datetime.fromisoformat(w["starts_at"]),
            datetime.fromisoformat(w["ends_at"]),
            w["per_person_limit"],
            w["real_name_required"],
        )
        for w in sale
    ] == [  # on sale on the website and the app from the import until the showtime
        (channel, "on_sale", clock.now(), starts, 6, False) for channel in ("web", "mobile")
    ]
    cinemas = (await admin.get(f"{API}/admin/partners/cinemas")).json()
    assert [(c["code"], c["name"]) for c in cinemas] == [
        ("C001", "Lumière Riverside"),
        ("C002", "Golden Harvest Jing'an"),
    ]
    assert code.startswith("C001-H1-")


async def first_session_of(runtime: Runtime, ids: list[int], prefix: str) -> tuple[int, str]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        rows = (
            await uow.session.execute(
                select(PartnerSession.session_id, PartnerSession.code).where(
                    PartnerSession.session_id.in_(ids)
                )
            )
        ).all()
    return next((int(s), str(c)) for s, c in sorted(rows) if c.startswith(prefix))


async def test_a_session_the_cinema_no_longer_lists_is_cancelled(
    admin: httpx.AsyncClient, runtime: Runtime, cinema: CinemaSim
) -> None:
    new = await synced(admin, runtime, days=2)
    sid, code = await first_session_of(runtime, new, "C002-H1-")
    assert (await cinema.http.post(f"/_withdraw/{code}")).status_code == 200
    assert await synced(admin, runtime, days=2) == []
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        status = await uow.session.scalar(select(Session.status).where(Session.id == sid))
    assert status == SessionStatus.CANCELLED


async def test_a_partner_sessions_availability_is_refreshed_from_the_cinema_when_viewed(
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    cinema: CinemaSim,
    clock: FixedClock,
) -> None:
    sid, code = await first_session(runtime, admin)
    for seat in ("A-1", "B-2"):
        assert (await cinema.counter_sale("C001", code, [seat])).status_code == 200
    assert (await states(client, sid))[:1] == "a"  # not yet asked

    live = (await client.get(f"{API}/partner-sessions/{sid}/availability")).json()
    assert live["states"][0] == "b"
    assert live["states"][12 + 1] == "b"  # B-2
    assert live["counts"]["blocked"] == 2
    assert (await states(client, sid))[0] == "b"  # the mirror everyone reads

    cinema.state.refund(  # the cinema frees A-1 (a refund at its counter)
        "counter",
        "C001",
        next(o.order_no for o in cinema.state.orders.values() if "A-1" in o.seats),
    )
    again = (await client.get(f"{API}/partner-sessions/{sid}/availability")).json()
    assert again["states"][0] == "b"  # cached for a few seconds
    clock.advance(timedelta(seconds=11))
    fresh = (await client.get(f"{API}/partner-sessions/{sid}/availability")).json()
    assert fresh["states"][0] == "a"
    assert fresh["states"][13] == "b"
    missing = await client.get(f"{API}/partner-sessions/999999/availability")
    assert missing.status_code == 404


async def test_an_expired_hold_releases_the_lock_retried_until_the_cinema_answers(
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    cinema: CinemaSim,
    clock: FixedClock,
) -> None:
    sid, code = await first_session(runtime, admin)
    (ann,) = await customers_with_tokens(runtime, 1, first=1)
    held = await hold(client, sid, ann, ["L1-HALL-C-3"])
    assert held.status_code == 201, held.text

    await cinema.control(outage=True)
    clock.advance(timedelta(minutes=11))  # past the 10-minute payment time
    await work(runtime, rounds=1)  # the sweeper expires the hold; the unlock fails
    assert await count(runtime, Hold, Hold.status == "expired") == 1
    assert await count(runtime, PartnerLock, PartnerLock.status == "releasing") == 1
    await cinema.control(outage=False)
    clock.advance(timedelta(seconds=2))
    await work(runtime, rounds=1)
    assert await count(runtime, PartnerLock, PartnerLock.status == "released") == 1
    (lock,) = await cinema.locks()
    assert lock["status"] == "released"
    assert (await cinema.seats(code))["C-3"] == "available"


async def test_a_lock_whose_answer_never_came_is_released(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, runtime: Runtime, cinema: CinemaSim
) -> None:
    sid, code = await first_session(runtime, admin)
    (ann,) = await customers_with_tokens(runtime, 1, first=1)
    await cinema.control(timeout_next={"LockSeat": 1}, timeout_done=True)
    slow = await hold(client, sid, ann, ["L1-HALL-D-4"])
    assert slow.status_code == 503
    assert slow.json()["error"]["code"] == "partner_unavailable"
    assert await count(runtime, Hold) == 0
    (lock,) = await cinema.locks()
    assert lock["status"] == "locked"  # the cinema did lock it
    await work(runtime, rounds=1)
    (lock,) = await cinema.locks()
    assert lock["status"] == "released"
    assert (await cinema.seats(code))["D-4"] == "available"


async def test_a_partner_showtime_cannot_get_a_counter_window(
    admin: httpx.AsyncClient, runtime: Runtime, cinema: CinemaSim, clock: FixedClock
) -> None:
    """Only the online hold path locks the cinema's seats first, so no other channel may sell
    them (a box-office window would sell from the mirror without the cinema's lock)."""
    sid = (await synced(admin, runtime, days=2))[0]
    before = await count(runtime, SalesWindow, SalesWindow.session_id == sid)
    refused = await admin.post(
        f"{API}/admin/sessions/{sid}/sales-windows",
        json={
            "channel": "box_office",
            "starts_at": clock.now().isoformat(),
            "ends_at": (clock.now() + timedelta(hours=2)).isoformat(),
            "quotas": [{"level": "STD", "quota": 10}],
        },
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == "invalid_input"
    assert await count(runtime, SalesWindow, SalesWindow.session_id == sid) == before == 2
