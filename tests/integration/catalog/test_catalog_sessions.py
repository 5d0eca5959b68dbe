"""Sessions through the admin API: schedule and reschedule, times answered in UTC, and refusals
that store nothing and change nothing."""

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
)


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
