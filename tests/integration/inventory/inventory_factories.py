"""Small factories for the seat-plan integration tests, through the HTTP API.

Slice-specific module name (not ``factories``): the test directories are not packages, so two
modules with one base name would shadow each other. Seats of the default 3 x 4 cinema are, in
map order, ``L1-HALL-A-1`` … ``L1-HALL-A-4``, ``L1-HALL-B-1`` … ``L1-HALL-C-4``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from admit.catalog.models import Seat
from admit.catalog.seatmap_format import to_json
from admit.catalog.seatmap_generators import cinema_hall
from admit.catalog.seatmap_spec import SeatMapSpec
from admit.core.audit_context import Actor
from admit.core.runtime import Runtime
from admit.inventory.models import SessionSeat

ADMIN = "/api/v1/admin"
STARTS = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)
SEEDER = Actor(kind="system", id="test-seed")


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code, body
    return body


def key(row: str, number: int) -> str:
    return f"L1-HALL-{row}-{number}"


def states(*runs: tuple[str, int]) -> str:
    """An expected states string from runs: states(("a", 4), ("b", 8)) == "aaaabbbbbbbb"."""
    return "".join(char * count for char, count in runs)


@dataclass(frozen=True, slots=True)
class Cinema:
    organiser_id: int
    venue_id: int
    seat_map_id: int
    event_id: int

    async def schedule(
        self, admin: httpx.AsyncClient, code: str = "S1", starts_at: datetime = STARTS
    ) -> int:
        payload = {
            "event_id": self.event_id,
            "venue_id": self.venue_id,
            "seat_map_id": self.seat_map_id,
            "code": code,
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
        }
        return int(ok(await admin.post(f"{ADMIN}/sessions", json=payload), 201)["id"])


async def make_cinema(admin: httpx.AsyncClient, spec: SeatMapSpec | None = None) -> Cinema:
    """An organiser, a venue with a 3 x 4 cinema map (or ``spec``) and an event: no session."""
    org = ok(await admin.post(f"{ADMIN}/organisers", json={"code": "ORG", "name": "Org"}), 201)
    venue = ok(await admin.post(f"{ADMIN}/venues", json={"code": "CINE", "name": "Cinema"}), 201)
    document = to_json(spec if spec is not None else cinema_hall(rows=3, seats_per_row=4))
    seat_map = ok(
        await admin.post(
            f"{ADMIN}/venues/{venue['id']}/seatmaps",
            content=document,
            headers={"content-type": "application/json"},
        ),
        201,
    )
    event = ok(
        await admin.post(
            f"{ADMIN}/events",
            json={
                "organiser_id": org["id"],
                "number": "EV1",
                "name": "Night Film",
                "category": "cinema",
            },
        ),
        201,
    )
    return Cinema(org["id"], venue["id"], seat_map["id"], event["id"])


async def make_session(admin: httpx.AsyncClient) -> tuple[Cinema, int]:
    cinema = await make_cinema(admin)
    return cinema, await cinema.schedule(admin)


async def availability(client: httpx.AsyncClient, session_id: int) -> dict[str, Any]:
    body: dict[str, Any] = ok(await client.get(f"/api/v1/sessions/{session_id}/availability"))
    return body


async def seat_states(client: httpx.AsyncClient, session_id: int) -> str:
    return str((await availability(client, session_id))["states"])


async def plan(admin: httpx.AsyncClient, session_id: int) -> dict[str, Any]:
    body: dict[str, Any] = ok(await admin.get(f"{ADMIN}/sessions/{session_id}/plan"))
    return body


async def remaining(client: httpx.AsyncClient, session_id: int) -> int:
    return int(ok(await client.get(f"/api/v1/sessions/{session_id}"))["remaining"])


async def set_category(
    admin: httpx.AsyncClient, session_id: int, select_: dict[str, Any], category: str
) -> httpx.Response:
    return await admin.post(
        f"{ADMIN}/sessions/{session_id}/plan/categories",
        json={"select": select_, "category": category},
    )


async def audit_log(admin: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = ok(
        await admin.get(f"{ADMIN}/audit", params={"limit": 1000, **params})
    )
    return entries


async def snapshot(admin: httpx.AsyncClient, *session_ids: int) -> dict[str, Any]:
    """Everything a refused change must leave alone: plans, availability and the audit log."""
    return {
        "plans": [await plan(admin, sid) for sid in session_ids],
        "availability": [await availability(admin, sid) for sid in session_ids],
        "audit": await audit_log(admin),
    }


async def mark_sold(runtime: Runtime, session_id: int, seat_key: str) -> None:
    """Selling comes in a later issue: put a seat of a session in the 'sold' state directly."""
    async with runtime.uow(SEEDER) as uow:
        seat_ids = select(Seat.id).where(Seat.key == seat_key)
        result = await uow.session.execute(
            update(SessionSeat)
            .where(SessionSeat.session_id == session_id, SessionSeat.seat_id.in_(seat_ids))
            .values(status="sold"),
            execution_options={"synchronize_session": False},
        )
        assert result.rowcount == 1
