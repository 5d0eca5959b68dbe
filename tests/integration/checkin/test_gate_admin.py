"""Gates, devices and policies (V1, V2): what staff set up, what a device may do with its
credential, refusals that change nothing, venue-scoped grants, and attendance."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select
from tests.conftest import TEST_ACTOR
from tests.integration.catalog.catalog_factories import make_venue
from tests.integration.checkin.gate_factories import (
    ADMIN,
    DOORS,
    GATE,
    make_gates,
    ok,
    register,
    sell,
)

from admit.checkin.device_client import DeviceClient
from admit.checkin.models import Device, Gate, ValidationPolicy
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime

PASSWORD = "Str0ng pass word!"


async def _staff(admin: httpx.AsyncClient, username: str, grant: dict[str, str]) -> dict[str, str]:
    ok(
        await admin.post(
            f"{ADMIN}/staff", json={"username": username, "password": PASSWORD, "grants": [grant]}
        ),
        201,
    )
    login = ok(
        await admin.post(
            "/api/v1/auth/staff/login", json={"username": username, "password": PASSWORD}
        )
    )
    return {"Authorization": f"Bearer {login['token']}"}


async def _counts(runtime: Runtime) -> tuple[int, int, int]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return (
            int(await uow.session.scalar(select(func.count()).select_from(Gate)) or 0),
            int(await uow.session.scalar(select(func.count()).select_from(Device)) or 0),
            int(await uow.session.scalar(select(func.count()).select_from(ValidationPolicy)) or 0),
        )


async def test_devices_are_registered_disabled_and_kept_to_their_venue(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1"])
    await make_gates(admin, sold.venue_id)
    registered = ok(
        await admin.post(
            f"{ADMIN}/gate-devices",
            json={
                "number": "TS-07",
                "device_type": "turnstile",
                "venue_id": sold.venue_id,
                "description": "Turnstile 7",
                "ip": "10.20.0.7",
                "port": 4370,
                "communication_id": "COM-7",
                "location": "North concourse",
                "gate": "N-1",
            },
        ),
        201,
    )
    device = registered["device"]
    key_id, _, secret = registered["credential"].partition(".")
    assert (key_id, len(secret) >= 40) == (device["key_id"], True)
    assert {k: device[k] for k in ("number", "device_type", "ip", "port", "gate", "active")} == {
        "number": "TS-07",
        "device_type": "turnstile",
        "ip": "10.20.0.7",
        "port": 4370,
        "gate": "N-1",
        "active": True,
    }
    headers = {"X-Device-Key": registered["credential"]}
    assert ok(await client.get(f"{GATE}/device", headers=headers))["gate"] == "N-1"
    forged = {"X-Device-Key": f"{key_id}.not-the-secret"}
    for bad in ({}, forged):
        refused = await client.get(f"{GATE}/device", headers=bad)
        assert (refused.status_code, refused.json()["error"]["code"]) == (401, "device_refused")

    before = await _counts(runtime)
    duplicate = await admin.post(
        f"{ADMIN}/gate-devices",
        json={"number": "TS-07", "device_type": "handheld", "venue_id": sold.venue_id},
    )
    no_gate = await admin.post(
        f"{ADMIN}/gate-devices",
        json={"number": "TS-08", "device_type": "handheld", "venue_id": sold.venue_id, "gate": "X"},
    )
    assert (duplicate.status_code, no_gate.status_code) == (409, 400)
    assert no_gate.json()["error"]["code"] == "unknown_gate"
    assert await _counts(runtime) == before

    other_venue = await make_venue(admin, code="ARENA", name="Arena")
    elsewhere = await register(admin, other_venue, "AR-1")
    wrong = await client.get(f"{GATE}/sessions/{sold.session_id}/manifest", headers=elsewhere)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "other_venue")

    moved = ok(
        await admin.patch(f"{ADMIN}/gate-devices/{device['id']}", json={"gate": None, "ip": None})
    )
    assert (moved["gate"], moved["ip"], moved["port"]) == (None, None, 4370)
    off = ok(await admin.patch(f"{ADMIN}/gate-devices/{device['id']}", json={"active": False}))
    assert off["active"] is False
    disabled = await client.get(f"{GATE}/sessions/{sold.session_id}/manifest", headers=headers)
    assert (disabled.status_code, disabled.json()["error"]["message"]) == (
        401,
        "device TS-07 is disabled",
    )


async def test_policies_name_only_the_venues_gates(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1"])
    await make_gates(admin, sold.venue_id)
    url = f"{ADMIN}/sessions/{sold.session_id}/validation-policy"
    default = ok(await admin.get(url))
    assert default == {
        "session_id": sold.session_id,
        "identity_check": False,
        "reentry": False,
        "admit_from": "2026-12-01T16:30:00Z",
        "admit_until": "2026-12-01T22:30:00Z",
        "rules": [],
    }
    unknown = await admin.put(url, json={"rules": [{"gate": "N"}, {"gate": "WEST"}]})
    assert (unknown.status_code, unknown.json()["error"]["details"]) == (400, {"gates": ["WEST"]})
    backwards = await admin.put(
        url,
        json={
            "admit_from": DOORS.isoformat(),
            "admit_until": (DOORS - timedelta(hours=1)).isoformat(),
        },
    )
    assert backwards.status_code == 400
    naive = await admin.put(url, json={"admit_from": "2026-12-01T18:00:00"})
    assert naive.status_code == 422
    assert await _counts(runtime) == (3, 0, 0)
    ok(
        await admin.put(
            url,
            json={
                "identity_check": True,
                "admit_from": DOORS.isoformat(),
                "rules": [{"gate": "S", "sections": ["HALL", "HALL"], "kinds": ["adult"]}],
            },
        )
    )
    assert ok(await admin.get(url))["rules"] == [
        {"gate": "S", "sections": ["HALL"], "levels": [], "kinds": ["adult"]}
    ]
    gates = ok(await admin.get(f"{ADMIN}/venues/{sold.venue_id}/gates"))
    assert [(g["code"], g["kind"]) for g in gates] == [
        ("N", "entrance"),
        ("N-1", "lane"),
        ("S", "entrance"),
    ]
    again = await admin.post(
        f"{ADMIN}/venues/{sold.venue_id}/gates", json={"code": "N", "name": "Again"}
    )
    assert again.status_code == 409


async def test_venue_scoped_staff_manage_their_venue_only(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1"])
    other = await make_venue(admin, code="ARENA", name="Arena")
    mine = await _staff(
        admin,
        "gate.lead",
        {"role": "validation_admin", "scope": "venue", "scope_id": str(sold.venue_id)},
    )
    steward = await _staff(admin, "steward", {"role": "validation_staff"})
    gate = {"code": "E", "name": "East"}
    assert (
        await admin.post(f"{ADMIN}/venues/{sold.venue_id}/gates", json=gate, headers=mine)
    ).status_code == 201
    theirs = await admin.post(f"{ADMIN}/venues/{other}/gates", json=gate, headers=mine)
    assert theirs.status_code == 403
    device = {"number": "X-1", "device_type": "kiosk", "venue_id": other}
    assert (await admin.post(f"{ADMIN}/gate-devices", json=device, headers=mine)).status_code == 403
    policy = f"{ADMIN}/sessions/{sold.session_id}/validation-policy"
    assert (await admin.put(policy, json={"reentry": True}, headers=steward)).status_code == 403
    assert (await admin.get(policy, headers=steward)).status_code == 200
    attendance = f"{ADMIN}/sessions/{sold.session_id}/attendance"
    assert (await admin.get(attendance, headers=steward)).status_code == 200
    conflicts = f"{ADMIN}/sessions/{sold.session_id}/scan-conflicts"
    assert (await admin.get(conflicts, headers=steward)).status_code == 403
    assert (await admin.get(conflicts, headers=mine)).status_code == 200
    assert await _counts(runtime) == (1, 0, 0)


async def test_attendance_by_gate_and_section_with_devices_online(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    seats = ["L1-HALL-A-1", "L1-HALL-A-2", "L1-HALL-A-3", "L1-HALL-C-1"]
    sold = await sell(admin, runtime, clock, seats=seats)
    await make_gates(admin, sold.venue_id)
    north = DeviceClient(client, (await register(admin, sold.venue_id, "H-N", "N"))["X-Device-Key"])
    south = DeviceClient(client, (await register(admin, sold.venue_id, "H-S", "S"))["X-Device-Key"])
    await register(admin, sold.venue_id, "H-IDLE")
    for device in (north, south):
        await device.whoami()
        await device.sync_manifest(sold.session_id)
    a1, a2, a3, c1 = sold.tickets
    north.validate(a1.qr, now=DOORS)
    north.validate(a2.qr, now=DOORS)
    north.validate(a2.qr, now=DOORS + timedelta(minutes=5), direction="out")
    south.validate(c1.qr, now=DOORS)
    await north.upload()
    clock.advance(timedelta(minutes=10))
    await south.upload()
    body = ok(await admin.get(f"{ADMIN}/sessions/{sold.session_id}/attendance"))
    devices = {d["number"]: (d["gate"], d["online"]) for d in body.pop("devices")}
    assert devices == {"H-IDLE": (None, False), "H-N": ("N", False), "H-S": ("S", True)}
    assert body == {
        "session_id": sold.session_id,
        "tickets": 4,
        "admitted": 3,
        "inside": 2,
        "rate": 0.75,
        "conflicts": 0,
        "by_gate": [
            {"gate": "N", "admitted": 2, "inside": 1},
            {"gate": "S", "admitted": 1, "inside": 1},
        ],
        "by_section": [{"section": "HALL", "tickets": 4, "admitted": 3, "inside": 2, "rate": 0.75}],
    }
    assert a3.code not in {c for c, _ in north.validator.seen.items()}  # type: ignore[union-attr]
