"""Sales windows per session and channel, quotas by number or total × ratio, channels and
outlets switched on and off, and the gate every hold will pass (S5, S10)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from tests.conftest import T0, TEST_ACTOR
from tests.integration.catalog.catalog_factories import make_venue_with_map

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.sales.sale_gate import check_on_sale
from admit.sales.windows import ChannelClosed, NotOnSale

ADMIN = "/api/v1/admin"


async def _priced_session(admin: httpx.AsyncClient) -> int:
    world = await make_venue_with_map(admin, rows=4, seats_per_row=5)
    sid = world.session_id
    levels = {
        "levels": [
            {"code": "A", "name": "Front", "prices": {"adult": 8000}},
            {"code": "B", "name": "Back", "prices": {"adult": 5000}},
        ]
    }
    assert (await admin.put(f"{ADMIN}/sessions/{sid}/price-levels", json=levels)).status_code == 200
    for level, rows in (
        ("A", [["HALL", "A"], ["HALL", "B"]]),
        ("B", [["HALL", "C"], ["HALL", "D"]]),
    ):
        body = {"select": {"rows": [{"section": s, "row": r} for s, r in rows]}, "level": level}
        assert (
            await admin.post(f"{ADMIN}/sessions/{sid}/plan/price-levels", json=body)
        ).status_code == 200
    return sid


def _window(**extra: object) -> dict[str, object]:
    return {
        "channel": "web",
        "starts_at": (T0 + timedelta(hours=1)).isoformat(),
        "ends_at": (T0 + timedelta(days=5)).isoformat(),
        "per_person_limit": 4,
        "payment_minutes": 15,
        "quotas": [{"level": "A", "quota": 6}, {"level": "B", "ratio": "0.5"}],
        **extra,
    }


async def test_a_window_with_quotas_by_number_and_ratio(admin: httpx.AsyncClient) -> None:
    sid = await _priced_session(admin)
    response = await admin.post(f"{ADMIN}/sessions/{sid}/sales-windows", json=_window())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "not_yet"
    assert body["quotas"] == [
        {"level": "A", "quota": 6, "held": 0, "sold": 0},
        {"level": "B", "quota": 5, "held": 0, "sold": 0},  # half of the 10 seats of B
    ]
    again = await admin.post(f"{ADMIN}/sessions/{sid}/sales-windows", json=_window())
    assert again.status_code == 409
    audit = (await admin.get(f"{ADMIN}/audit?entity_type=session&entity_id={sid}")).json()
    assert audit[0]["action"] == "sales_window.opened"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"quotas": [{"level": "Z", "quota": 1}]}, 400, "invalid_input"),
        ({"ends_at": T0.isoformat()}, 400, "invalid_input"),
        ({"channel": "telepathy"}, 404, "not_found"),
        ({"quotas": [{"level": "A", "quota": 1, "ratio": "0.5"}]}, 422, "invalid_request"),
        ({"quotas": [{"level": "A", "ratio": "1.5"}]}, 422, "invalid_request"),
        ({"starts_at": "2026-12-01T10:00:00"}, 422, "invalid_request"),
    ],
)
async def test_bad_windows_are_refused_and_nothing_is_written(
    admin: httpx.AsyncClient, change: dict[str, object], status: int, code: str
) -> None:
    sid = await _priced_session(admin)
    response = await admin.post(f"{ADMIN}/sessions/{sid}/sales-windows", json=_window(**change))
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert (await admin.get(f"{ADMIN}/sessions/{sid}/sales-windows")).json() == []


async def test_the_gate_of_every_hold(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await _priced_session(admin)
    window = (
        await admin.post(
            f"{ADMIN}/sessions/{sid}/sales-windows", json=_window(channel="box_office")
        )
    ).json()
    outlet = (
        await admin.post(
            f"{ADMIN}/outlets", json={"channel": "box_office", "code": "K1", "name": "Kiosk 1"}
        )
    ).json()

    async def gate(channel: str = "box_office", outlet_code: str | None = "K1") -> object:
        async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
            return await check_on_sale(
                uow, session_id=sid, channel=channel, outlet_code=outlet_code, now=clock.now()
            )

    with pytest.raises(NotOnSale, match="not_yet"):
        await gate()
    clock.advance(timedelta(hours=2))
    opened = await gate()
    assert (opened.per_person_limit, opened.payment_minutes) == (4, 15)  # type: ignore[attr-defined]
    with pytest.raises(NotOnSale, match="not sold through web"):
        await gate("web", None)
    r = await admin.put(f"{ADMIN}/outlets/{outlet['id']}/enabled", json={"enabled": False})
    assert r.status_code == 200, r.text
    with pytest.raises(ChannelClosed, match="K1"):
        await gate()
    await admin.put(f"{ADMIN}/outlets/{outlet['id']}/enabled", json={"enabled": True})
    await admin.put(f"{ADMIN}/channels/box_office", json={"enabled": False})
    with pytest.raises(ChannelClosed, match="switched off"):
        await gate()
    status = (await admin.get(f"/api/v1/sessions/{sid}/sale")).json()
    assert [s["state"] for s in status] == ["closed"]
    await admin.put(f"{ADMIN}/channels/box_office", json={"enabled": True})
    patched = await admin.patch(f"{ADMIN}/sales-windows/{window['id']}", json={"enabled": False})
    assert patched.json()["state"] == "closed"
    with pytest.raises(NotOnSale, match="closed"):
        await gate()
    await admin.patch(f"{ADMIN}/sales-windows/{window['id']}", json={"enabled": True})
    clock.advance(timedelta(days=6))
    with pytest.raises(NotOnSale, match="ended"):
        await gate()


async def test_channels_are_base_data(admin: httpx.AsyncClient) -> None:
    channels = (await admin.get(f"{ADMIN}/channels")).json()
    assert [c["code"] for c in channels] == [
        "agent",
        "box_office",
        "client_rep",
        "mobile",
        "partner",
        "web",
    ]
    assert all(c["enabled"] for c in channels)
