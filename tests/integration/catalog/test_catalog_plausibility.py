"""Implausible catalogue data is refused on create and on change alike: a session starting
before 2000 or more than ten years ahead, lasting more than sixty days, and blank names
(issue 31, item 3). Nothing refused is stored or listed by the public search."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from catalog_factories import (
    ADMIN,
    audit_log,
    error,
    import_map,
    make_event,
    make_organiser,
    make_venue,
    make_venue_with_map,
    ok,
)

# The tests' clock stands at 2026-11-22 08:00 UTC.
BAD_TIMES = [
    pytest.param(
        {"starts_at": "0084-01-01T12:00:00Z", "ends_at": "2026-12-01T14:00:00Z"},
        "a session starts on 2000-01-01 or later",
        id="year-84",
    ),
    pytest.param(
        {"starts_at": "1999-12-31T23:00:00Z", "ends_at": "2000-01-01T01:00:00Z"},
        "a session starts on 2000-01-01 or later",
        id="before-2000",
    ),
    pytest.param(
        {"starts_at": "2036-11-23T12:00:00Z", "ends_at": "2036-11-23T14:00:00Z"},
        "a session starts at most ten years from now",
        id="eleven-years-ahead",
    ),
    pytest.param(
        {"starts_at": "2026-12-01T12:00:00Z", "ends_at": "2027-01-30T12:00:01Z"},
        "a session lasts at most 60 days",
        id="sixty-days-and-a-second",
    ),
]
BLANK_NAMES = [pytest.param("", id="empty"), pytest.param(" \t ", id="spaces")]


async def _scheduling(admin: httpx.AsyncClient) -> dict[str, Any]:
    organiser_id = await make_organiser(admin)
    venue_id = await make_venue(admin)
    seat_map = await import_map(admin, venue_id)
    event_id = await make_event(admin, organiser_id)
    return {
        "event_id": event_id,
        "venue_id": venue_id,
        "seat_map_id": seat_map["id"],
        "code": "S1",
        "starts_at": "2026-12-01T12:00:00Z",
        "ends_at": "2026-12-01T14:00:00Z",
    }


async def _listed(admin: httpx.AsyncClient) -> list[dict[str, Any]]:
    return [r["session"] for r in ok(await admin.get("/api/v1/sessions"))]


@pytest.mark.parametrize(("times", "message"), BAD_TIMES)
async def test_an_implausible_session_is_not_scheduled(
    admin: httpx.AsyncClient, times: dict[str, str], message: str
) -> None:
    payload = await _scheduling(admin)
    log = await audit_log(admin)

    body = error(
        await admin.post(f"{ADMIN}/sessions", json={**payload, **times}), 400, "invalid_input"
    )

    assert body["message"] == message
    assert await _listed(admin) == []
    assert await audit_log(admin) == log


@pytest.mark.parametrize(("times", "message"), BAD_TIMES)
async def test_a_session_is_not_moved_to_implausible_times(
    admin: httpx.AsyncClient, times: dict[str, str], message: str
) -> None:
    session = ok(await admin.post(f"{ADMIN}/sessions", json=await _scheduling(admin)), 201)
    log = await audit_log(admin)

    body = error(
        await admin.patch(f"{ADMIN}/sessions/{session['id']}", json=times), 400, "invalid_input"
    )

    assert body["message"] == message
    assert await _listed(admin) == [session]
    assert await audit_log(admin) == log


async def test_the_bounds_themselves_are_accepted(admin: httpx.AsyncClient) -> None:
    payload = await _scheduling(admin)
    earliest = {"starts_at": "2000-01-01T00:00:00Z", "ends_at": "2000-03-01T00:00:00Z"}
    latest = {"starts_at": "2036-11-21T08:00:00Z", "ends_at": "2036-11-21T10:00:00Z"}

    first = ok(await admin.post(f"{ADMIN}/sessions", json={**payload, **earliest}), 201)
    second = ok(await admin.patch(f"{ADMIN}/sessions/{first['id']}", json=latest))

    assert (second["starts_at"], second["ends_at"]) == (latest["starts_at"], latest["ends_at"])


@pytest.mark.parametrize("name", BLANK_NAMES)
async def test_a_session_named_blank_is_refused_on_create_and_change(
    admin: httpx.AsyncClient, name: str
) -> None:
    payload = await _scheduling(admin)
    error(
        await admin.post(f"{ADMIN}/sessions", json={**payload, "name": name}),
        422,
        "invalid_request",
    )
    assert await _listed(admin) == []
    session = ok(await admin.post(f"{ADMIN}/sessions", json=payload), 201)
    assert session["name"] == ""  # no name of its own: the event's is shown

    error(
        await admin.patch(f"{ADMIN}/sessions/{session['id']}", json={"name": name}),
        422,
        "invalid_request",
    )

    assert await _listed(admin) == [session]


async def test_names_are_stored_without_surrounding_spaces(admin: httpx.AsyncClient) -> None:
    payload = await _scheduling(admin)
    session = ok(
        await admin.post(f"{ADMIN}/sessions", json={**payload, "name": "  Premiere "}), 201
    )
    renamed = ok(await admin.patch(f"{ADMIN}/sessions/{session['id']}", json={"name": " Gala\t"}))
    venue = ok(await admin.post(f"{ADMIN}/venues", json={"code": "HALL", "name": " Hall "}), 201)

    assert (session["name"], renamed["name"], venue["name"]) == ("Premiere", "Gala", "Hall")


@pytest.mark.parametrize("name", BLANK_NAMES)
async def test_blank_names_are_refused_everywhere_in_the_catalogue(
    admin: httpx.AsyncClient, name: str
) -> None:
    world = await make_venue_with_map(admin)
    log = await audit_log(admin)
    event = {"organiser_id": world.organiser_id, "number": "EV2", "category": "cinema"}
    level = {"code": "A", "prices": {"adult": 100}}
    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", f"{ADMIN}/organisers", {"code": "NEW", "name": name}),
        ("POST", f"{ADMIN}/venues", {"code": "NEW", "name": name}),
        ("PATCH", f"{ADMIN}/venues/{world.venue_id}", {"name": name}),
        ("POST", f"{ADMIN}/events", {**event, "name": name}),
        ("PATCH", f"{ADMIN}/events/{world.event_id}", {"name": name}),
        (
            "PUT",
            f"{ADMIN}/sessions/{world.session_id}/price-levels",
            {"levels": [{**level, "name": name}]},
        ),
        ("POST", f"{ADMIN}/outlets", {"channel": "box_office", "code": "NEW", "name": name}),
    ]
    for method, url, body in writes:
        refused = error(await admin.request(method, url, json=body), 422, "invalid_request")
        assert refused["details"][-1]["loc"][-1] == "name", (url, refused)
    assert await audit_log(admin) == log
