"""A sold-out session's page offers the event's other sessions still on sale and the same
price level at other sessions of the venue (G7); a page on sale offers nothing instead,
unless one of its levels is sold out."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from tests.conftest import T0
from tests.integration.catalog.catalog_factories import make_event, ok, schedule_session
from tests.integration.inventory.stock_alert_steps import set_states
from tests.integration.sales.sale_factories import on_sale
from tests.integration.web.browse_pages import second_session

pytestmark = pytest.mark.backends
ADMIN = "/api/v1/admin"
FRONT = [f"L1-HALL-{r}-{n}" for r in "AB" for n in range(1, 6)]  # level A, "Front"
BACK = [f"L1-HALL-{r}-{n}" for r in "CD" for n in range(1, 6)]  # level B, "Back"


async def _sell_on_web(admin: httpx.AsyncClient, sid: int, front_name: str = "Front") -> None:
    """The same levels as ``on_sale``'s session, sold on the website from T0 + 1 h."""
    ok(
        await admin.put(
            f"{ADMIN}/sessions/{sid}/price-levels",
            json={
                "levels": [
                    {"code": "A", "name": front_name, "prices": {"adult": 8000}},
                    {"code": "B", "name": "Back", "prices": {"adult": 5000}},
                ]
            },
        )
    )
    for level, rows in (("A", "AB"), ("B", "CD")):
        ok(
            await admin.post(
                f"{ADMIN}/sessions/{sid}/plan/price-levels",
                json={
                    "select": {"rows": [{"section": "HALL", "row": r} for r in rows]},
                    "level": level,
                },
            )
        )
    ok(
        await admin.post(
            f"{ADMIN}/sessions/{sid}/sales-windows",
            json={
                "channel": "web",
                "starts_at": (T0 + timedelta(hours=1)).isoformat(),
                "ends_at": (T0 + timedelta(days=5)).isoformat(),
                "per_person_limit": 4,
                "payment_minutes": 15,
                "quotas": [{"level": "A", "quota": 10}, {"level": "B", "quota": 10}],
            },
        ),
        201,
    )


async def _venue_with_three_sessions(
    admin: httpx.AsyncClient, clock: FixedClock
) -> tuple[int, int, int, int]:
    """This event's session and a second one; another film at the same cinema with a level
    named "front" (another case); a concert there with a "Front" level too (another
    category: not offered). All on sale."""
    sid = await on_sale(admin, clock)
    detail = ok(await admin.get(f"/api/v1/sessions/{sid}"))
    later = await second_session(admin, sid)
    await _sell_on_web(admin, later)
    elsewhere = []
    for number, category in (("EV2", "cinema"), ("EV3", "show")):
        event_id = await make_event(
            admin,
            detail["event"]["organiser_id"],
            number=number,
            name=f"Film {number}",
            category=category,
        )
        other = await schedule_session(
            admin,
            event_id=event_id,
            venue_id=detail["venue"]["id"],
            seat_map_id=detail["session"]["seat_map_id"],
            code=f"S-{number}",
            starts_at=T0 + timedelta(days=4),
        )
        await _sell_on_web(admin, other, front_name="front")
        elsewhere.append(other)
    return sid, later, elsewhere[0], elsewhere[1]


def _links(page: httpx.Response, list_id: str) -> list[str]:
    match = re.search(rf'<ul id="{list_id}">(.*?)</ul>', page.text, re.S)
    return re.findall(r'href="(/sessions/[^"]+)"', match.group(1)) if match else []


async def test_a_sold_out_session_offers_other_sessions_and_its_levels_elsewhere(
    admin: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    sid, later, film, concert = await _venue_with_three_sessions(admin, clock)
    on_sale_page = await admin.get(f"/sessions/{sid}")
    assert 'id="alternatives"' not in on_sale_page.text

    await set_states(runtime, sid, FRONT + BACK, "sold")
    page = await admin.get(f"/sessions/{sid}")
    assert page.status_code == 200
    assert 'id="sale-status">Sold out<' in page.text
    assert _links(page, "alternatives-same-event") == [f"/sessions/{later}"]
    assert "20 left" in page.text
    # The same levels at the other film, not at the concert nor again at the event's own.
    assert _links(page, "alternatives-same-level") == [
        f"/sessions/{film}?level=A",
        f"/sessions/{film}?level=B",
    ]
    assert f"/sessions/{concert}" not in page.text


async def test_a_sold_out_level_is_offered_elsewhere_while_the_session_sells(
    admin: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    sid, later, film, _ = await _venue_with_three_sessions(admin, clock)
    await set_states(runtime, sid, FRONT, "sold")
    page = await admin.get(f"/sessions/{sid}")
    assert 'id="sale-status">On sale<' in page.text
    assert _links(page, "alternatives-same-event") == []  # the session itself still sells
    assert _links(page, "alternatives-same-level") == [
        f"/sessions/{later}?level=A",
        f"/sessions/{film}?level=A",
    ]

    await set_states(runtime, film, FRONT, "sold")  # the other film's front is gone too
    again = await admin.get(f"/sessions/{sid}")
    assert _links(again, "alternatives-same-level") == [f"/sessions/{later}?level=A"]
