"""Every catalogue change leaves an audit entry naming the staff member; the chain verifies."""

from __future__ import annotations

import hashlib

import httpx
from catalog_factories import (
    ADMIN,
    JSON,
    audit_log,
    make_venue,
    make_venue_with_map,
    ok,
    staff_actor,
)

from admit.catalog.seatmap_format import to_json
from admit.catalog.seatmap_generators import cinema_hall


async def test_venue_entries_keep_what_changed_and_who_changed_it(
    admin: httpx.AsyncClient,
) -> None:
    actor = await staff_actor(admin)
    venue_id = await make_venue(admin, "CINE", "Grand Cinema", capacity=300)
    ok(await admin.patch(f"{ADMIN}/venues/{venue_id}", json={"name": "Grand Hall"}))

    entries = await audit_log(admin, entity_type="venue")

    assert [
        {k: e[k] for k in ("at", "actor", "action", "entity_type", "entity_id", "data")}
        for e in entries
    ] == [
        {
            "at": "2026-11-22T08:00:00Z",
            "actor": actor,
            "action": "venue.updated",
            "entity_type": "venue",
            "entity_id": str(venue_id),
            "data": {"before": {"name": "Grand Cinema"}, "after": {"name": "Grand Hall"}},
        },
        {
            "at": "2026-11-22T08:00:00Z",
            "actor": actor,
            "action": "venue.created",
            "entity_type": "venue",
            "entity_id": str(venue_id),
            "data": {
                "code": "CINE",
                "name": "Grand Cinema",
                "address": "",
                "use": "",
                "capacity": 300,
            },
        },
    ]
    assert entries[0]["seq"] == entries[1]["seq"] + 1
    assert ok(await admin.get(f"{ADMIN}/audit", params={"entity_id": "999"})) == []


async def test_each_catalogue_change_adds_an_entry(admin: httpx.AsyncClient) -> None:
    actor = await staff_actor(admin)
    start = len(await audit_log(admin))
    world = await make_venue_with_map(admin)
    ok(
        await admin.put(
            f"{ADMIN}/sessions/{world.session_id}/price-levels",
            json={"levels": [{"code": "A", "name": "Stalls", "prices": {"adult": 100}}]},
        )
    )
    ok(await admin.patch(f"{ADMIN}/events/{world.event_id}", json={"name": "Late Film"}))
    ok(await admin.patch(f"{ADMIN}/sessions/{world.session_id}", json={"name": "Premiere"}))

    entries = await audit_log(admin)

    assert len(entries) == start + 8
    assert [(e["action"], e["entity_type"], e["entity_id"]) for e in entries[:8]] == [
        ("session.updated", "session", str(world.session_id)),
        ("event.updated", "event", str(world.event_id)),
        ("price_levels.set", "session", str(world.session_id)),
        ("session.created", "session", str(world.session_id)),
        ("event.created", "event", str(world.event_id)),
        ("seatmap.imported", "seat_map", str(world.seat_map_id)),
        ("venue.created", "venue", str(world.venue_id)),
        ("organiser.created", "organiser", str(world.organiser_id)),
    ]
    assert {e["actor"] for e in entries[:8]} == {actor}
    assert [e["seq"] for e in entries] == list(range(len(entries), 0, -1))
    by_action = {e["action"]: e["data"] for e in entries}
    document = to_json(cinema_hall(rows=3, seats_per_row=4))
    assert by_action["seatmap.imported"] == {
        "venue_id": world.venue_id,
        "name": "Hall 1",
        "seats": 12,
        "sections": 1,
        "ga_areas": 0,
        "sha256": hashlib.sha256(document.encode()).hexdigest(),
    }
    assert by_action["event.updated"]["before"]["name"] == "Night Film"
    assert by_action["event.updated"]["after"]["name"] == "Late Film"
    assert by_action["session.updated"]["before"]["name"] == ""
    assert by_action["session.updated"]["after"]["name"] == "Premiere"
    assert by_action["price_levels.set"] == {
        "levels": [{"code": "A", "name": "Stalls", "prices": {"adult": 100}, "currency": "CNY"}]
    }

    chain = ok(await admin.get(f"{ADMIN}/audit/verify"))
    assert chain == {"ok": True, "entries": len(entries), "broken_at_seq": None, "reason": None}


async def test_a_refused_change_leaves_the_chain_as_it_was(admin: httpx.AsyncClient) -> None:
    venue_id = await make_venue(admin)
    before = ok(await admin.get(f"{ADMIN}/audit/verify"))

    refused = await admin.post(
        f"{ADMIN}/venues/{venue_id}/seatmaps", content=b"{not json", headers=JSON
    )

    assert refused.status_code == 400
    assert (
        ok(await admin.get(f"{ADMIN}/audit/verify"))
        == before
        == {"ok": True, "entries": 2, "broken_at_seq": None, "reason": None}
    )


async def test_the_audit_log_pages_newest_first(admin: httpx.AsyncClient) -> None:
    for n in range(3):
        await make_venue(admin, f"V{n}", f"Venue {n}")
    newest = await audit_log(admin, entity_type="venue")

    page = ok(await admin.get(f"{ADMIN}/audit", params={"limit": 2, "entity_type": "venue"}))
    rest = ok(
        await admin.get(
            f"{ADMIN}/audit", params={"entity_type": "venue", "before_seq": page[-1]["seq"]}
        )
    )

    assert [e["data"]["code"] for e in newest] == ["V2", "V1", "V0"]
    assert page + rest == newest


async def test_the_audit_log_is_for_staff_only(client: httpx.AsyncClient) -> None:
    for path in ("", "/verify"):
        response = await client.get(f"{ADMIN}/audit{path}")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
