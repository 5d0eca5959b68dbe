"""Organisers, venues and events through the admin API: create, change, refuse, delete."""

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
    ok,
    schedule_session,
)

# -- organisers ------------------------------------------------------------------------------


async def test_organisers_are_created_and_listed_by_code(admin: httpx.AsyncClient) -> None:
    zeta = ok(await admin.post(f"{ADMIN}/organisers", json={"code": "ZETA", "name": "Zeta"}), 201)
    alpha = ok(
        await admin.post(f"{ADMIN}/organisers", json={"code": "ALPHA", "name": "Alpha Live"}), 201
    )

    assert zeta == {"id": zeta["id"], "code": "ZETA", "name": "Zeta"}
    assert ok(await admin.get(f"{ADMIN}/organisers")) == [
        {"id": alpha["id"], "code": "ALPHA", "name": "Alpha Live"},
        {"id": zeta["id"], "code": "ZETA", "name": "Zeta"},
    ]


async def test_a_second_organiser_with_the_same_code_is_refused(admin: httpx.AsyncClient) -> None:
    await make_organiser(admin, "ORG", "First")
    before = ok(await admin.get(f"{ADMIN}/organisers"))
    log = await audit_log(admin)

    response = await admin.post(f"{ADMIN}/organisers", json={"code": "ORG", "name": "Second"})

    assert error(response, 409, "already_exists")["message"] == "organiser 'ORG' already exists"
    assert ok(await admin.get(f"{ADMIN}/organisers")) == before
    assert await audit_log(admin) == log


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"code": "has space", "name": "Org"}, "code"),
        ({"code": "", "name": "Org"}, "code"),
        ({"code": "ORG"}, "name"),
        ({"code": "ORG", "name": ""}, "name"),
        ({"code": "ORG", "name": "Org", "colour": "red"}, "colour"),
    ],
)
async def test_a_malformed_organiser_is_refused(
    admin: httpx.AsyncClient, payload: dict[str, Any], field: str
) -> None:
    log = await audit_log(admin)

    body = error(await admin.post(f"{ADMIN}/organisers", json=payload), 422, "invalid_request")

    assert [d["loc"] for d in body["details"]] == [["body", field]]
    assert ok(await admin.get(f"{ADMIN}/organisers")) == []
    assert await audit_log(admin) == log


# -- venues ----------------------------------------------------------------------------------


async def test_a_venue_is_created_listed_and_changed(admin: httpx.AsyncClient) -> None:
    payload = {
        "code": "RIVER",
        "name": "Riverside Stadium",
        "address": "1 River Road",
        "use": "football",
        "capacity": 42000,
    }
    venue = ok(await admin.post(f"{ADMIN}/venues", json=payload), 201)
    assert venue == {"id": venue["id"], **payload}

    changed = ok(await admin.patch(f"{ADMIN}/venues/{venue['id']}", json={"name": "River Arena"}))

    assert changed == {**venue, "name": "River Arena"}
    assert ok(await admin.get(f"{ADMIN}/venues")) == [changed]
    assert ok(await admin.get("/api/v1/venues")) == [changed]


async def test_venue_defaults(admin: httpx.AsyncClient) -> None:
    venue = ok(await admin.post(f"{ADMIN}/venues", json={"code": "V", "name": "Hall"}), 201)

    assert venue == {
        "id": venue["id"],
        "code": "V",
        "name": "Hall",
        "address": "",
        "use": "",
        "capacity": 0,
    }


async def test_a_second_venue_with_the_same_code_is_refused(admin: httpx.AsyncClient) -> None:
    await make_venue(admin, "CINE", "Grand Cinema")
    before = ok(await admin.get(f"{ADMIN}/venues"))
    log = await audit_log(admin)

    response = await admin.post(f"{ADMIN}/venues", json={"code": "CINE", "name": "Other"})

    assert error(response, 409, "already_exists")["message"] == "venue 'CINE' already exists"
    assert ok(await admin.get(f"{ADMIN}/venues")) == before
    assert await audit_log(admin) == log


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"code": "V", "name": "Hall", "capacity": -1}, "capacity"),
        ({"code": "V", "name": "Hall", "capacity": "many"}, "capacity"),
        ({"code": "V"}, "name"),
        ({"code": "V", "name": "x" * 201}, "name"),
        ({"code": "V", "name": "Hall", "address": "a" * 401}, "address"),
    ],
)
async def test_a_malformed_venue_is_refused(
    admin: httpx.AsyncClient, payload: dict[str, Any], field: str
) -> None:
    log = await audit_log(admin)

    body = error(await admin.post(f"{ADMIN}/venues", json=payload), 422, "invalid_request")

    assert [d["loc"] for d in body["details"]] == [["body", field]]
    assert ok(await admin.get(f"{ADMIN}/venues")) == []
    assert await audit_log(admin) == log


@pytest.mark.parametrize(
    "patch",
    [{"capacity": -5}, {"name": ""}, {"name": None}, {"code": "NEW"}, {"capacity": None}],
)
async def test_a_malformed_venue_change_leaves_the_venue_as_it_was(
    admin: httpx.AsyncClient, patch: dict[str, Any]
) -> None:
    venue_id = await make_venue(admin, "CINE", "Grand Cinema", capacity=300)
    before = ok(await admin.get(f"{ADMIN}/venues"))
    log = await audit_log(admin)

    error(await admin.patch(f"{ADMIN}/venues/{venue_id}", json=patch), 422, "invalid_request")

    assert ok(await admin.get(f"{ADMIN}/venues")) == before
    assert await audit_log(admin) == log


async def test_changing_an_unknown_venue_is_not_found(admin: httpx.AsyncClient) -> None:
    log = await audit_log(admin)

    response = await admin.patch(f"{ADMIN}/venues/999", json={"name": "Nowhere"})

    assert error(response, 404, "not_found")["message"] == "venue 999 does not exist"
    assert await audit_log(admin) == log


# -- events ----------------------------------------------------------------------------------


def _event_payload(organiser_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "organiser_id": organiser_id,
        "number": "FB-2026-01",
        "name": "Cup Final",
        "category": "sport",
        "discipline": "football",
        "description": "The last match.",
        "tags": ["cup", "final"],
        **extra,
    }


async def test_an_event_is_created_read_and_changed(admin: httpx.AsyncClient) -> None:
    organiser_id = await make_organiser(admin)
    payload = _event_payload(organiser_id)

    event = ok(await admin.post(f"{ADMIN}/events", json=payload), 201)
    assert event == {"id": event["id"], **payload}
    assert ok(await admin.get(f"/api/v1/events/{event['id']}")) == event

    changed = ok(
        await admin.patch(
            f"{ADMIN}/events/{event['id']}", json={"name": "Cup Final (replay)", "tags": ["cup"]}
        )
    )

    assert changed == {**event, "name": "Cup Final (replay)", "tags": ["cup"]}
    assert ok(await admin.get(f"/api/v1/events/{event['id']}")) == changed


async def test_event_defaults(admin: httpx.AsyncClient) -> None:
    organiser_id = await make_organiser(admin)
    payload = {"organiser_id": organiser_id, "number": "N1", "name": "Film", "category": "cinema"}

    event = ok(await admin.post(f"{ADMIN}/events", json=payload), 201)

    assert event == {"id": event["id"], **payload, "discipline": "", "description": "", "tags": []}


async def test_an_event_number_is_unique(admin: httpx.AsyncClient) -> None:
    organiser_id = await make_organiser(admin)
    first = await make_event(admin, organiser_id, number="N1", name="First")
    log = await audit_log(admin)

    response = await admin.post(
        f"{ADMIN}/events", json=_event_payload(organiser_id, number="N1", name="Second")
    )

    assert error(response, 409, "already_exists")["message"] == "event number 'N1' is taken"
    assert ok(await admin.get(f"/api/v1/events/{first}"))["name"] == "First"
    error(await admin.get(f"/api/v1/events/{first + 1}"), 404, "not_found")
    assert await audit_log(admin) == log


async def test_an_event_of_an_unknown_organiser_is_not_found(admin: httpx.AsyncClient) -> None:
    log = await audit_log(admin)

    response = await admin.post(f"{ADMIN}/events", json=_event_payload(organiser_id=77))

    assert error(response, 404, "not_found")["message"] == "organiser 77 does not exist"
    assert await audit_log(admin) == log


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "opera"}, "category"),
        ({"tags": [""]}, "tags"),
        ({"tags": ["t"] * 31}, "tags"),
        ({"number": ""}, "number"),
        ({"name": "x" * 201}, "name"),
    ],
)
async def test_a_malformed_event_is_refused(
    admin: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    organiser_id = await make_organiser(admin)
    log = await audit_log(admin)

    response = await admin.post(f"{ADMIN}/events", json=_event_payload(organiser_id, **change))

    body = error(response, 422, "invalid_request")
    assert {tuple(d["loc"][:2]) for d in body["details"]} == {("body", field)}
    error(await admin.get("/api/v1/events/1"), 404, "not_found")
    assert await audit_log(admin) == log


@pytest.mark.parametrize(
    "patch", [{"category": "opera"}, {"name": None}, {"organiser_id": 2}, {"number": "X"}]
)
async def test_a_malformed_event_change_leaves_the_event_as_it_was(
    admin: httpx.AsyncClient, patch: dict[str, Any]
) -> None:
    organiser_id = await make_organiser(admin)
    event = ok(await admin.post(f"{ADMIN}/events", json=_event_payload(organiser_id)), 201)
    log = await audit_log(admin)

    response = await admin.patch(f"{ADMIN}/events/{event['id']}", json=patch)

    error(response, 422, "invalid_request")
    assert ok(await admin.get(f"/api/v1/events/{event['id']}")) == event
    assert await audit_log(admin) == log


@pytest.mark.parametrize(
    ("method", "json"), [("GET", None), ("PATCH", {"name": "X"}), ("DELETE", None)]
)
async def test_an_unknown_event_is_not_found(
    admin: httpx.AsyncClient, method: str, json: dict[str, Any] | None
) -> None:
    prefix = "/api/v1" if method == "GET" else ADMIN
    log = await audit_log(admin)

    response = await admin.request(method, f"{prefix}/events/404", json=json)

    assert error(response, 404, "not_found")["message"] == "event 404 does not exist"
    assert await audit_log(admin) == log


async def test_an_event_without_sessions_is_deleted(admin: httpx.AsyncClient) -> None:
    organiser_id = await make_organiser(admin)
    event_id = await make_event(admin, organiser_id)

    response = await admin.delete(f"{ADMIN}/events/{event_id}")

    assert response.status_code == 204
    assert response.content == b""
    error(await admin.get(f"/api/v1/events/{event_id}"), 404, "not_found")
    (entry, *_) = await audit_log(admin, entity_type="event")
    assert (entry["action"], entry["entity_id"]) == ("event.deleted", str(event_id))


async def test_an_event_with_sessions_is_not_deleted(admin: httpx.AsyncClient) -> None:
    organiser_id = await make_organiser(admin)
    venue_id = await make_venue(admin)
    seat_map = await import_map(admin, venue_id)
    event_id = await make_event(admin, organiser_id)
    await schedule_session(admin, event_id=event_id, venue_id=venue_id, seat_map_id=seat_map["id"])
    event = ok(await admin.get(f"/api/v1/events/{event_id}"))
    log = await audit_log(admin)

    response = await admin.delete(f"{ADMIN}/events/{event_id}")

    body = error(response, 400, "invalid_input")
    assert body["message"] == "the event has sessions: cancel them instead of deleting the event"
    assert ok(await admin.get(f"/api/v1/events/{event_id}")) == event
    assert await audit_log(admin) == log


# -- sessions --------------------------------------------------------------------------------


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
        "name": "Premiere",
        "starts_at": "2026-12-01T12:00:00Z",
        "ends_at": "2026-12-01T14:00:00Z",
    }


async def test_a_session_is_scheduled_and_rescheduled(admin: httpx.AsyncClient) -> None:
    payload = await _scheduling(admin)

    session = ok(await admin.post(f"{ADMIN}/sessions", json=payload), 201)

    assert session == {**payload, "id": session["id"], "status": "scheduled"}
    assert ok(await admin.get(f"/api/v1/sessions/{session['id']}"))["session"] == session
    moved = ok(
        await admin.patch(
            f"{ADMIN}/sessions/{session['id']}",
            json={
                "starts_at": "2026-12-02T12:00:00Z",
                "ends_at": "2026-12-02T14:30:00Z",
                "status": "postponed",
            },
        )
    )
    assert moved == {
        **session,
        "starts_at": "2026-12-02T12:00:00Z",
        "ends_at": "2026-12-02T14:30:00Z",
        "status": "postponed",
    }
    assert ok(await admin.get(f"/api/v1/sessions/{session['id']}"))["session"] == moved


@pytest.mark.parametrize("path", ["create", "change"])
async def test_session_times_given_with_an_offset_are_answered_in_utc(
    admin: httpx.AsyncClient, path: str
) -> None:
    """Every read gives UTC ("Z"); the answer to the write that stored the time must too."""
    local = {"starts_at": "2026-12-01T20:00:00+08:00", "ends_at": "2026-12-01T22:00:00+08:00"}
    payload = await _scheduling(admin)
    if path == "create":
        session = ok(await admin.post(f"{ADMIN}/sessions", json={**payload, **local}), 201)
    else:
        created = ok(await admin.post(f"{ADMIN}/sessions", json=payload), 201)
        session = ok(await admin.patch(f"{ADMIN}/sessions/{created['id']}", json=local))

    stored = ok(await admin.get(f"/api/v1/sessions/{session['id']}"))["session"]
    assert (stored["starts_at"], stored["ends_at"]) == (
        "2026-12-01T12:00:00Z",
        "2026-12-01T14:00:00Z",
    )
    assert session == stored


@pytest.mark.parametrize(
    ("change", "status", "code", "message"),
    [
        ({"code": "S1"}, 409, "already_exists", "session code 'S1' is taken"),
        (
            {"ends_at": "2026-12-01T12:00:00Z"},
            400,
            "invalid_input",
            "a session must end after it starts",
        ),
        ({"seat_map_id": "other"}, 400, "invalid_input", "is not a map of venue"),
        ({"event_id": 404}, 404, "not_found", "event 404 does not exist"),
        ({"venue_id": 404}, 404, "not_found", "venue 404 does not exist"),
        ({"starts_at": "2026-12-01T20:00:00"}, 422, "invalid_request", None),
        ({"status": "sold_out"}, 422, "invalid_request", None),
    ],
)
async def test_a_bad_session_is_refused_and_nothing_is_stored(
    admin: httpx.AsyncClient,
    change: dict[str, Any],
    status: int,
    code: str,
    message: str | None,
) -> None:
    payload = await _scheduling(admin)
    existing = ok(await admin.post(f"{ADMIN}/sessions", json=payload), 201)
    if change.get("seat_map_id") == "other":
        elsewhere = await make_venue(admin, "OTHER", "Other Hall")
        change = {"seat_map_id": (await import_map(admin, elsewhere))["id"]}
    log = await audit_log(admin)
    fresh = {**payload, "code": "S2", **change}

    body = error(await admin.post(f"{ADMIN}/sessions", json=fresh), status, code)

    if message is not None:
        assert message in body["message"]
    assert await audit_log(admin) == log
    assert [s["session"]["id"] for s in ok(await admin.get("/api/v1/sessions"))] == [existing["id"]]


@pytest.mark.parametrize(
    ("patch", "status", "code"),
    [
        ({"ends_at": "2026-12-01T11:00:00Z"}, 400, "invalid_input"),
        ({"starts_at": "2026-12-01T12:00:00"}, 422, "invalid_request"),
        ({"status": None}, 422, "invalid_request"),
        ({"seat_map_id": 2}, 422, "invalid_request"),
    ],
)
async def test_a_bad_session_change_leaves_the_session_as_it_was(
    admin: httpx.AsyncClient, patch: dict[str, Any], status: int, code: str
) -> None:
    session = ok(await admin.post(f"{ADMIN}/sessions", json=await _scheduling(admin)), 201)
    log = await audit_log(admin)

    error(await admin.patch(f"{ADMIN}/sessions/{session['id']}", json=patch), status, code)

    assert ok(await admin.get(f"/api/v1/sessions/{session['id']}"))["session"] == session
    assert await audit_log(admin) == log
