"""Events through the admin API: create, read, change, defaults, refuse, delete (only while they
have no sessions)."""

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
