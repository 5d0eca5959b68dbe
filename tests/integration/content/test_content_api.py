"""Announcements and recommended sessions through the admin API, and what the public sees."""

from __future__ import annotations

from datetime import timedelta

import httpx

from admit.core.clock import FixedClock
from tests.conftest import T0
from tests.integration.catalog.catalog_factories import (
    error,
    make_venue_with_map,
    ok,
    schedule_session,
)

ADMIN = "/api/v1/admin"


def _announcement(**extra: object) -> dict[str, object]:
    return {
        "title": "Cup final tickets",
        "body": "On sale Friday at noon.",
        "link_url": "/search?q=final",
        "starts_at": (T0 - timedelta(hours=1)).isoformat(),
        "published": True,
        **extra,
    }


async def test_announcements_show_while_published_and_within_their_dates(
    admin: httpx.AsyncClient, clock: FixedClock
) -> None:
    live = ok(await admin.post(f"{ADMIN}/announcements", json=_announcement()), 201)
    ok(
        await admin.post(
            f"{ADMIN}/announcements", json=_announcement(title="Draft", published=False)
        ),
        201,
    )
    later = _announcement(
        title="Later",
        starts_at=(T0 + timedelta(days=1)).isoformat(),
        ends_at=(T0 + timedelta(days=2)).isoformat(),
    )
    ok(await admin.post(f"{ADMIN}/announcements", json=later), 201)

    public = ok(await admin.get("/api/v1/announcements"))
    assert [a["title"] for a in public] == ["Cup final tickets"]
    assert public[0] == {
        "id": live["id"],
        "title": "Cup final tickets",
        "body": "On sale Friday at noon.",
        "link_url": "/search?q=final",
        "starts_at": "2026-11-22T07:00:00Z",
        "ends_at": None,
        "published": True,
        "sort": 0,
    }
    clock.advance(timedelta(days=1, hours=1))
    assert [a["title"] for a in ok(await admin.get("/api/v1/announcements"))] == [
        "Later",
        "Cup final tickets",
    ]
    clock.advance(timedelta(days=1))
    assert [a["title"] for a in ok(await admin.get("/api/v1/announcements"))] == [
        "Cup final tickets"
    ]


async def test_an_announcement_is_edited_unpublished_and_deleted(
    admin: httpx.AsyncClient,
) -> None:
    made = ok(await admin.post(f"{ADMIN}/announcements", json=_announcement()), 201)
    url = f"{ADMIN}/announcements/{made['id']}"
    changed = ok(await admin.patch(url, json={"title": "Final: sold out", "published": False}))
    assert (changed["title"], changed["published"], changed["body"]) == (
        "Final: sold out",
        False,
        "On sale Friday at noon.",
    )
    assert ok(await admin.get("/api/v1/announcements")) == []
    assert [a["title"] for a in ok(await admin.get(f"{ADMIN}/announcements"))] == [
        "Final: sold out"
    ]
    assert (await admin.delete(url)).status_code == 204
    assert ok(await admin.get(f"{ADMIN}/announcements")) == []
    error(await admin.delete(url), 404, "not_found")


async def test_bad_announcements_are_refused_and_nothing_is_stored(
    admin: httpx.AsyncClient,
) -> None:
    for link in ("javascript:alert(1)", "//evil.example/x", "ftp://x.example/", "/a b"):
        error(
            await admin.post(f"{ADMIN}/announcements", json=_announcement(link_url=link)),
            400,
            "invalid_input",
        )
    backwards = _announcement(ends_at=(T0 - timedelta(hours=2)).isoformat())
    error(await admin.post(f"{ADMIN}/announcements", json=backwards), 400, "invalid_input")
    naive = _announcement(starts_at="2026-11-22T07:00:00")
    error(await admin.post(f"{ADMIN}/announcements", json=naive), 422, "invalid_request")
    error(
        await admin.post(f"{ADMIN}/announcements", json=_announcement(title="")),
        422,
        "invalid_request",
    )
    assert ok(await admin.get(f"{ADMIN}/announcements")) == []

    made = ok(await admin.post(f"{ADMIN}/announcements", json=_announcement()), 201)
    url = f"{ADMIN}/announcements/{made['id']}"
    error(await admin.patch(url, json={"link_url": "javascript:x"}), 400, "invalid_input")
    assert ok(await admin.get(f"{ADMIN}/announcements"))[0]["link_url"] == "/search?q=final"


async def test_recommendations_keep_the_operators_order(admin: httpx.AsyncClient) -> None:
    world = await make_venue_with_map(admin)
    second = await schedule_session(
        admin,
        event_id=world.event_id,
        venue_id=world.venue_id,
        seat_map_id=world.seat_map_id,
        code="S2",
    )
    body = {
        "sessions": [{"session_id": second, "note": "Last seats"}, {"session_id": world.session_id}]
    }
    stored = ok(await admin.put(f"{ADMIN}/recommendations", json=body))
    assert stored == [
        {"session_id": second, "rank": 1, "note": "Last seats"},
        {"session_id": world.session_id, "rank": 2, "note": ""},
    ]
    flipped = {"sessions": [{"session_id": world.session_id}, {"session_id": second}]}
    ok(await admin.put(f"{ADMIN}/recommendations", json=flipped))
    assert [r["session_id"] for r in ok(await admin.get(f"{ADMIN}/recommendations"))] == [
        world.session_id,
        second,
    ]


async def test_bad_recommendations_leave_the_list_as_it_was(admin: httpx.AsyncClient) -> None:
    world = await make_venue_with_map(admin)
    ok(
        await admin.put(
            f"{ADMIN}/recommendations", json={"sessions": [{"session_id": world.session_id}]}
        )
    )
    twice = {"sessions": [{"session_id": world.session_id}, {"session_id": world.session_id}]}
    error(await admin.put(f"{ADMIN}/recommendations", json=twice), 400, "invalid_input")
    missing = {"sessions": [{"session_id": world.session_id}, {"session_id": 999999}]}
    body = error(await admin.put(f"{ADMIN}/recommendations", json=missing), 404, "not_found")
    assert body["details"] == {"missing": [999999]}
    assert ok(await admin.get(f"{ADMIN}/recommendations")) == [
        {"session_id": world.session_id, "rank": 1, "note": ""}
    ]


async def test_content_needs_the_content_permission(client: httpx.AsyncClient) -> None:
    error(await client.get(f"{ADMIN}/announcements"), 401, "unauthorized")
    error(await client.put(f"{ADMIN}/recommendations", json={"sessions": []}), 401, "unauthorized")
    assert ok(await client.get("/api/v1/announcements")) == []
