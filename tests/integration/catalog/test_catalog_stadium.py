"""A 20,000-seat stadium end to end: import, schedule, availability and layout with ETags.

Deliberately one test per backend: these are the slow ones."""

from __future__ import annotations

import httpx
from catalog_factories import (
    ADMIN,
    audit_log,
    import_map,
    make_event,
    make_organiser,
    make_venue,
    ok,
    schedule_session,
)

from admit.catalog.seatmap_generators import stadium_bowl

SEATS = 24 * (20 + 22) * 20  # sections per level x rows per level x seats per row
SECTION_101 = 20 * 20


async def test_a_stadium_session_serves_availability_and_layout_with_etags(
    admin: httpx.AsyncClient,
) -> None:
    spec = stadium_bowl()
    organiser_id = await make_organiser(admin)
    venue_id = await make_venue(admin, "STADIUM", "National Stadium", capacity=22160)
    seat_map = await import_map(admin, venue_id, spec)
    assert seat_map == {
        "id": seat_map["id"],
        "venue_id": venue_id,
        "name": "Stadium",
        "version": 1,
        "seat_count": SEATS,
        "ga_capacity": 2000,
    }
    (imported,) = await audit_log(admin, entity_type="seat_map")
    assert imported["data"]["seats"] == SEATS
    assert imported["data"]["sections"] == 48
    event_id = await make_event(admin, organiser_id, name="Cup Final", category="sport")
    session_id = await schedule_session(
        admin, event_id=event_id, venue_id=venue_id, seat_map_id=seat_map["id"]
    )
    url = f"/api/v1/sessions/{session_id}"

    # the drawable map, in columns
    layout = await admin.get(f"{url}/seatmap")
    assert layout.status_code == 200
    assert layout.headers["etag"] == f'"map-{seat_map["id"]}-1"'
    drawing = layout.json()
    assert [lv["code"] for lv in drawing["levels"]] == ["L1", "L2"]
    assert len(drawing["sections"]) == 48
    assert drawing["sections"][0] == {"code": "101", "name": "Section 101", "level": "L1"}
    assert drawing["ga_areas"] == [
        {"code": "FLOOR", "name": "Floor", "capacity": 2000, "level": "L1"}
    ]
    columns = drawing["seats"]
    assert {name: len(values) for name, values in columns.items()} == dict.fromkeys(
        ("section", "key", "row", "number", "x", "y", "flags"), SEATS
    )
    assert columns["key"][:2] == ["L1-101-1-1", "L1-101-1-2"]
    assert columns["key"][-1] == "L2-224-22-20"
    assert columns["flags"].count("a") == 24 * 4  # accessible seats: lower tier, first row
    not_modified = await admin.get(
        f"{url}/seatmap", headers={"If-None-Match": layout.headers["etag"]}
    )
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    assert not_modified.headers["etag"] == layout.headers["etag"]

    # every seat's state, one character each
    first = await admin.get(f"{url}/availability")
    assert first.status_code == 200
    plan = first.json()
    assert plan["seat_count"] == SEATS
    assert plan["states"] == "a" * SEATS
    assert plan["levels"] == "-" * SEATS
    assert plan["counts"] == {"available": SEATS, "held": 0, "sold": 0, "blocked": 0, "reserved": 0}
    assert plan["ga"] == [{"code": "FLOOR", "name": "Floor", "capacity": 2000, "available": 2000}]
    etag = first.headers["etag"]
    unchanged = await admin.get(f"{url}/availability", headers={"If-None-Match": etag})
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    assert unchanged.headers["etag"] == etag

    # a change of one section shows at once, under a new ETag
    changed = await admin.post(
        f"{ADMIN}/sessions/{session_id}/plan/categories",
        json={"select": {"sections": ["101"]}, "category": "occupied"},
    )
    assert ok(changed) == {"changed": SECTION_101}
    after = await admin.get(f"{url}/availability", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    assert after.json()["states"] == "b" * SECTION_101 + "a" * (SEATS - SECTION_101)
    assert (await admin.get(f"{url}/seatmap")).headers["etag"] == layout.headers["etag"]
