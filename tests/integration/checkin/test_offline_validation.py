"""Offline validation with real tickets (G18, INV8, V4): a device downloads its session's
manifest, then decides scans with no server — forged QRs refused, a refunded ticket refused
once the next manifest update carries it, wrong gates, time windows, ID checks."""

from __future__ import annotations

import base64
from datetime import timedelta

import httpx
from tests.conftest import TEST_ACTOR
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
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.ticketing import issue, qr_payload


def _alter_byte(qr: str) -> str:
    """The same QR with one byte of the signed body changed (still well-formed Base45)."""
    data = bytearray(qr_payload.b45decode(qr[len(qr_payload.PREFIX) :]))
    data[-70] ^= 0x01  # a byte of issued_at, just before the signature
    return qr_payload.PREFIX + qr_payload.b45encode(bytes(data))


async def test_forged_codes_are_refused_offline_and_genuine_ones_admitted(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1", "L1-HALL-A-2"])
    await make_gates(admin, sold.venue_id)
    device = DeviceClient(
        client, (await register(admin, sold.venue_id, "H-1", "N"))["X-Device-Key"]
    )
    client.headers.pop("Authorization")  # the device has no staff token
    me = await device.whoami()
    assert (me["number"], me["gate"], [s["id"] for s in me["sessions"]]) == (
        "H-1",
        "N",
        [sold.session_id],
    )
    manifest = await device.sync_manifest(sold.session_id)
    assert sorted(manifest.entries) == sorted(t.code for t in sold.tickets)
    genuine = sold.tickets[0]
    kid = genuine.kid
    claims = qr_payload.TicketClaims(
        code=genuine.code, session_id=sold.session_id, seat="L1-HALL-A-1", issued_at=1
    )
    other_private, _ = qr_payload.generate_key()
    wrong_key = qr_payload.sign(claims, kid=kid, private_key=other_private)
    unknown_kid = qr_payload.sign(claims, kid="9-ffffff", private_key=other_private)

    async def offline(_: httpx.Request) -> httpx.Response:
        raise AssertionError("validation must not touch the network")

    device.http = httpx.AsyncClient(transport=httpx.MockTransport(offline))
    now = DOORS
    answers = [
        device.validate(text, now=now)
        for text in (_alter_byte(genuine.qr), wrong_key, unknown_kid, "AD1:NOT-A-TICKET")
    ]
    assert [(v.result, v.detail, v.ok) for v in answers] == [
        ("forged", "bad_signature", False),
        ("forged", "bad_signature", False),
        ("forged", "unknown_key", False),
        ("forged", "malformed", False),
    ]
    admitted = device.validate(genuine.qr, now=now)
    assert (admitted.result, admitted.code, admitted.seat, admitted.section) == (
        "admitted",
        genuine.code,
        genuine.label,
        "HALL",
    )
    again = device.validate(genuine.qr, now=now + timedelta(minutes=1))
    assert again.result == "already_inside"
    assert len(device.pending) == 6
    await device.http.aclose()


async def test_a_refunded_ticket_is_refused_after_the_next_manifest_update(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1", "L1-HALL-A-2"])
    headers = await register(admin, sold.venue_id, "H-1")
    device = DeviceClient(client, headers["X-Device-Key"], gate="MAIN")
    first = await device.sync_manifest(sold.session_id)
    version = first.version
    refunded, kept = sold.tickets
    before = device.validator.check(refunded.qr, gate="MAIN", now=DOORS)  # type: ignore[union-attr]
    assert before.result == "admitted"  # the device does not know yet

    async with runtime.uow(TEST_ACTOR) as uow:  # the order is refunded: its tickets with it
        await issue.set_status(uow, sold.order_number, "refunded")
    update = ok(
        await client.get(
            f"{GATE}/sessions/{sold.session_id}/manifest",
            headers=headers,
            params={"since": version},
        )
    )
    assert (update["full"], update["since"], update["version"]) == (False, version, version + 1)
    assert update["tickets"] == []
    assert update["revoked"] == {refunded.code: "refunded", kept.code: "refunded"}

    await device.sync_manifest(sold.session_id)
    assert device.validator is not None
    assert device.validator.manifest.version == version + 1
    after = device.validate(refunded.qr, now=DOORS)
    assert (after.result, after.detail, after.ok) == ("revoked", "refunded", False)
    unchanged = ok(
        await client.get(
            f"{GATE}/sessions/{sold.session_id}/manifest",
            headers=headers,
            params={"since": version + 1},
        )
    )
    assert (unchanged["version"], unchanged["tickets"], unchanged["revoked"]) == (
        version + 1,
        [],
        {},
    )


async def test_the_manifest_lists_tickets_keys_gates_and_policy(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1", "L1-HALL-C-1"])
    await make_gates(admin, sold.venue_id)
    ok(
        await admin.put(
            f"{ADMIN}/sessions/{sold.session_id}/validation-policy",
            json={
                "reentry": True,
                "rules": [{"gate": "N", "levels": ["L1"]}, {"gate": "S", "kinds": ["child"]}],
            },
        )
    )
    headers = await register(admin, sold.venue_id, "T-1", "N-1")
    doc = ok(await client.get(f"{GATE}/sessions/{sold.session_id}/manifest", headers=headers))
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        keys = await issue.public_keys(uow, organiser_id=sold.organiser_id)
    assert doc["keys"] == {
        k.kid: base64.urlsafe_b64encode(k.public_key).decode().rstrip("=") for k in keys
    }
    assert (doc["format"], doc["full"], doc["version"], doc["since"]) == (
        "admit-manifest/2",
        True,
        1,
        None,
    )
    assert doc["gates"] == [
        {"code": "N", "name": "North entrance", "kind": "entrance", "parent": None},
        {"code": "N-1", "name": "North lane 1", "kind": "lane", "parent": "N"},
        {"code": "S", "name": "South entrance", "kind": "entrance", "parent": None},
    ]
    assert doc["policy"] == {
        "reentry": True,
        "identity_check": False,
        "rules": [
            {"gate": "N", "sections": [], "levels": ["L1"], "kinds": []},
            {"gate": "S", "sections": [], "levels": [], "kinds": ["child"]},
        ],
    }
    assert (doc["admit_from"], doc["admit_until"]) == (
        "2026-12-01T16:30:00+00:00",
        "2026-12-01T22:30:00+00:00",
    )
    assert doc["columns"] == ["code", "seat", "section", "level", "kind", "holder", "id_tail"]
    a1, c1 = sold.tickets
    assert sorted(doc["tickets"]) == sorted(
        [
            [a1.code, a1.label, "HALL", "L1", "adult", None, None],
            [c1.code, c1.label, "HALL", "L1", "adult", None, None],
        ]
    )
    assert doc["revoked"] == {}
    again = ok(await client.get(f"{GATE}/sessions/{sold.session_id}/manifest", headers=headers))
    assert again["version"] == 1  # nothing changed, no new version


async def test_wrong_gate_time_window_and_lanes(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1"])
    await make_gates(admin, sold.venue_id)
    ok(
        await admin.put(
            f"{ADMIN}/sessions/{sold.session_id}/validation-policy",
            json={"rules": [{"gate": "N", "sections": ["HALL"]}]},
        )
    )
    ticket = sold.tickets[0]
    south = DeviceClient(client, (await register(admin, sold.venue_id, "S-1", "S"))["X-Device-Key"])
    lane = DeviceClient(
        client, (await register(admin, sold.venue_id, "N-1", "N-1"))["X-Device-Key"]
    )
    for device in (south, lane):
        await device.whoami()
        await device.sync_manifest(sold.session_id)
    wrong = south.validate(ticket.qr, now=DOORS)
    assert (wrong.result, wrong.gates, wrong.seat) == ("wrong_gate", ("N",), ticket.label)
    early = lane.validate(ticket.qr, now=DOORS - timedelta(hours=2))
    late = lane.validate(ticket.qr, now=DOORS + timedelta(hours=5))
    assert (early.result, late.result) == ("not_valid_yet", "expired")
    assert lane.validate(ticket.qr, now=DOORS).result == "admitted"  # the lane of entrance N
