"""Small factories for the catalogue's integration tests: everything goes through the HTTP API.

The module has a slice-specific name (not ``factories``) because test directories here are not
packages: two modules with the same base name would shadow each other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from admit.catalog.seatmap_format import to_json
from admit.catalog.seatmap_generators import cinema_hall
from admit.catalog.seatmap_spec import SeatMapSpec

ADMIN = "/api/v1/admin"
STARTS = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)
JSON = {"content-type": "application/json"}
CSV = {"content-type": "text/csv"}


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The response's JSON body, after checking its status (showing the body otherwise)."""
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The ``error`` member of a refusal, after checking its status and code."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code, body
    return body


async def make_organiser(admin: httpx.AsyncClient, code: str = "ORG", name: str = "Org") -> int:
    body = ok(await admin.post(f"{ADMIN}/organisers", json={"code": code, "name": name}), 201)
    return int(body["id"])


async def make_venue(
    admin: httpx.AsyncClient, code: str = "CINE", name: str = "Grand Cinema", **extra: Any
) -> int:
    payload = {"code": code, "name": name, **extra}
    return int(ok(await admin.post(f"{ADMIN}/venues", json=payload), 201)["id"])


async def import_map(
    admin: httpx.AsyncClient, venue_id: int, spec: SeatMapSpec | None = None
) -> dict[str, Any]:
    document = to_json(spec if spec is not None else cinema_hall(rows=3, seats_per_row=4))
    response = await admin.post(
        f"{ADMIN}/venues/{venue_id}/seatmaps", content=document, headers=JSON
    )
    body: dict[str, Any] = ok(response, 201)
    return body


async def make_event(
    admin: httpx.AsyncClient,
    organiser_id: int,
    number: str = "EV1",
    name: str = "Night Film",
    category: str = "cinema",
    **extra: Any,
) -> int:
    payload = {
        "organiser_id": organiser_id,
        "number": number,
        "name": name,
        "category": category,
        **extra,
    }
    return int(ok(await admin.post(f"{ADMIN}/events", json=payload), 201)["id"])


async def schedule_session(
    admin: httpx.AsyncClient,
    *,
    event_id: int,
    venue_id: int,
    seat_map_id: int,
    code: str = "S1",
    starts_at: datetime = STARTS,
    hours: int = 2,
) -> int:
    payload = {
        "event_id": event_id,
        "venue_id": venue_id,
        "seat_map_id": seat_map_id,
        "code": code,
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=hours)).isoformat(),
    }
    return int(ok(await admin.post(f"{ADMIN}/sessions", json=payload), 201)["id"])


@dataclass(frozen=True, slots=True)
class World:
    organiser_id: int
    venue_id: int
    seat_map_id: int
    event_id: int
    session_id: int


async def make_venue_with_map(
    admin: httpx.AsyncClient, *, rows: int = 3, seats_per_row: int = 4
) -> World:
    """An organiser, a cinema with a generated map, an event and one scheduled session."""
    organiser_id = await make_organiser(admin)
    venue_id = await make_venue(admin)
    seat_map = await import_map(
        admin, venue_id, cinema_hall(rows=rows, seats_per_row=seats_per_row)
    )
    event_id = await make_event(admin, organiser_id)
    session_id = await schedule_session(
        admin, event_id=event_id, venue_id=venue_id, seat_map_id=seat_map["id"]
    )
    return World(organiser_id, venue_id, seat_map["id"], event_id, session_id)


async def audit_log(admin: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Audit entries, newest first."""
    entries: list[dict[str, Any]] = ok(
        await admin.get(f"{ADMIN}/audit", params={"limit": 1000, **params})
    )
    return entries


async def staff_actor(admin: httpx.AsyncClient) -> str:
    """The audit label of the test's staff user (the entry that created it names its id)."""
    (created,) = await audit_log(admin, entity_type="staff_user")
    return f"staff:{created['entity_id']}"
