"""Scan uploads (V3, V4): two devices offline admit the same ticket; after both upload exactly
one admission stands and one conflict is reported, whatever order they come back in; a batch
sent twice changes nothing; re-entry by policy; scans travel as files in emergencies."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from tests.conftest import TEST_ACTOR
from tests.integration.checkin.gate_factories import ADMIN, DOORS, GATE, ok, register, sell

from admit.checkin.device_client import DeviceClient
from admit.checkin.models import Admission, Scan
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime


async def _tables(runtime: Runtime) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every stored scan (id, result, standing, conflict) and every admission row."""
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        scans = (
            await uow.session.execute(
                select(Scan.scan_id, Scan.result, Scan.standing, Scan.conflict).order_by(
                    Scan.scan_id
                )
            )
        ).all()
        states = (
            await uow.session.execute(
                select(
                    Admission.code, Admission.gate_code, Admission.inside, Admission.entries
                ).order_by(Admission.code)
            )
        ).all()
    return [tuple(r) for r in scans], [tuple(r) for r in states]


async def _devices(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, venue_id: int, session_id: int
) -> tuple[DeviceClient, DeviceClient]:
    pair = []
    for number, gate in (("H-A", "GATE-A"), ("H-B", "GATE-B")):
        headers = await register(admin, venue_id, number)
        device = DeviceClient(client, headers["X-Device-Key"], gate=gate)
        await device.whoami()
        await device.sync_manifest(session_id)
        pair.append(device)
    return pair[0], pair[1]


@pytest.mark.parametrize("first_back", ["earlier", "later"])
async def test_two_offline_devices_admit_one_ticket_and_one_admission_stands(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    first_back: str,
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1", "L1-HALL-A-2"])
    a, b = await _devices(admin, client, sold.venue_id, sold.session_id)
    shared, other = sold.tickets
    # Both offline: each admits the shared ticket, A two minutes before B.
    assert a.validate(shared.qr, now=DOORS).result == "admitted"
    assert b.validate(shared.qr, now=DOORS + timedelta(minutes=2)).result == "admitted"
    assert b.validate(other.qr, now=DOORS + timedelta(minutes=3)).result == "admitted"
    (a_scan,), (b_scan, b_other) = a.pending, b.pending
    batch_a, batch_b = list(a.pending), list(b.pending)

    order = (a, b) if first_back == "earlier" else (b, a)
    answers = [(await device.upload())[0] for device in order]
    if first_back == "earlier":
        assert answers == [
            {"received": 1, "new": 1, "duplicates": 0, "conflicts": []},
            {"received": 2, "new": 2, "duplicates": 0, "conflicts": [b_scan.scan_id]},
        ]
    else:  # B came back first and looked fine until A's earlier admission arrived
        assert answers == [
            {"received": 2, "new": 2, "duplicates": 0, "conflicts": []},
            {"received": 1, "new": 1, "duplicates": 0, "conflicts": []},
        ]
    scans, states = await _tables(runtime)
    expected_scans = sorted(
        [
            (a_scan.scan_id, "admitted", True, False),
            (b_scan.scan_id, "admitted", False, True),
            (b_other.scan_id, "admitted", True, False),
        ]
    )
    expected_states = sorted([(shared.code, "GATE-A", True, 1), (other.code, "GATE-B", True, 1)])
    assert (scans, states) == (expected_scans, expected_states)

    conflicts = ok(await admin.get(f"{ADMIN}/sessions/{sold.session_id}/scan-conflicts"))
    assert [(c["code"], c["scan"]["scan_id"], c["scan"]["device"]) for c in conflicts] == [
        (shared.code, b_scan.scan_id, "H-B")
    ]
    assert (conflicts[0]["standing"]["scan_id"], conflicts[0]["standing"]["device"]) == (
        a_scan.scan_id,
        "H-A",
    )

    history = ok(await admin.get(f"{ADMIN}/sessions/{sold.session_id}/tickets/{shared.code}/scans"))
    assert {k: history[k] for k in ("status", "entries", "first_gate", "first_in_at")} == {
        "status": "inside",
        "entries": 1,
        "first_gate": "GATE-A",
        "first_in_at": DOORS.isoformat(),
    }
    assert [(x["device"], x["result"], x["standing"], x["conflict"]) for x in history["scans"]] == [
        ("H-A", "admitted", True, False),
        ("H-B", "admitted", False, True),
    ]
    never = ok(await admin.get(f"{ADMIN}/sessions/{sold.session_id}/tickets/NOSUCH/scans"))
    assert (never["status"], never["entries"], never["scans"]) == ("not_entered", 0, [])

    for device, batch in ((a, batch_a), (b, batch_b)):  # the same batches, sent again
        device.pending = list(batch)
        again = (await device.upload())[0]
        assert (again["new"], again["duplicates"]) == (0, len(batch))
    assert await _tables(runtime) == (expected_scans, expected_states)
    attendance = ok(await admin.get(f"{ADMIN}/sessions/{sold.session_id}/attendance"))
    assert (attendance["admitted"], attendance["inside"], attendance["conflicts"]) == (2, 2, 1)


@pytest.mark.parametrize(("reentry", "second_entry"), [(False, "already_used"), (True, "admitted")])
async def test_re_entry_after_an_exit_follows_the_policy(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    reentry: bool,
    second_entry: str,
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1"])
    ok(
        await admin.put(
            f"{ADMIN}/sessions/{sold.session_id}/validation-policy", json={"reentry": reentry}
        )
    )
    a, b = await _devices(admin, client, sold.venue_id, sold.session_id)
    ticket = sold.tickets[0]
    assert a.validate(ticket.qr, now=DOORS).result == "admitted"
    out = a.validate(ticket.qr, now=DOORS + timedelta(minutes=30), direction="out")
    assert out.result == "exited"
    back = a.validate(ticket.qr, now=DOORS + timedelta(minutes=40))
    assert (back.result, back.ok) == (second_entry, reentry)
    a_back = a.pending[-1].scan_id
    # B, offline, never saw the first entry and admits the ticket at 18:35, between A's
    # exit and A's second entry: the server applies the same rule when it replays them.
    assert b.validate(ticket.qr, now=DOORS + timedelta(minutes=35)).result == "admitted"
    b_entry = b.pending[-1].scan_id
    await a.upload()
    conflicts = (await b.upload())[0]["conflicts"]
    _, states = await _tables(runtime)
    listed = ok(await admin.get(f"{ADMIN}/sessions/{sold.session_id}/scan-conflicts"))
    if reentry:  # B's re-entry stands; A's later entry found the ticket inside
        assert conflicts == []
        assert [c["scan"]["scan_id"] for c in listed] == [a_back]
        assert states == [(ticket.code, "GATE-A", True, 2)]
    else:  # no second entry at all: B's is the conflict, A's was refused on the spot
        assert conflicts == [b_entry]
        assert [c["scan"]["scan_id"] for c in listed] == [b_entry]
        assert states == [(ticket.code, "GATE-A", False, 1)]
    history = ok(await admin.get(f"{ADMIN}/sessions/{sold.session_id}/tickets/{ticket.code}/scans"))
    assert history["status"] == ("inside" if reentry else "exited")


async def test_scans_travel_as_files_when_a_device_cannot_reach_the_server(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1", "L1-HALL-A-2"])
    a, b = await _devices(admin, client, sold.venue_id, sold.session_id)
    first, second = sold.tickets
    a.validate(first.qr, now=DOORS)
    a.validate("AD1:GARBAGE", now=DOORS + timedelta(seconds=5))
    b.validate(first.qr, now=DOORS + timedelta(minutes=1))
    b.validate(second.qr, now=DOORS + timedelta(minutes=2))
    file_text = a.export_lines() + b.export_lines()
    assert [json.loads(line)["device"] for line in file_text.splitlines()] == [
        "H-A",
        "H-A",
        "H-B",
        "H-B",
    ]
    url = f"{ADMIN}/sessions/{sold.session_id}/scans/import"
    imported = ok(await admin.post(url, content=file_text))
    assert imported == {
        "received": 4,
        "new": 4,
        "duplicates": 0,
        "conflicts": [b.pending[0].scan_id],
    }
    assert ok(await admin.post(url, content=file_text))["new"] == 0  # a file imported twice
    exported = await admin.get(f"{ADMIN}/sessions/{sold.session_id}/scans.jsonl")
    assert exported.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert [(x["device"], x["result"], x["standing"], x["conflict"]) for x in lines] == [
        ("H-A", "admitted", True, False),
        ("H-A", "forged", False, False),
        ("H-B", "admitted", False, True),
        ("H-B", "admitted", True, False),
    ]
    # The server's own export imports back as nothing new.
    assert ok(await admin.post(url, content=exported.text))["duplicates"] == 4


async def test_bad_uploads_and_files_store_nothing(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1"])
    a, _ = await _devices(admin, client, sold.venue_id, sold.session_id)
    a.validate(sold.tickets[0].qr, now=DOORS)
    good = asdict(a.pending[0])
    bad = {**good, "scan_id": "bad-scan-0001", "result": "waved_through"}
    refused = await client.post(
        f"{GATE}/sessions/{sold.session_id}/scans", headers=a.headers, json={"scans": [good, bad]}
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_scans"
    file_text = json.dumps({**good, "device": "NOT-HERE"}) + "\n"
    unknown = await admin.post(
        f"{ADMIN}/sessions/{sold.session_id}/scans/import", content=file_text
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"]["details"] == {"devices": ["NOT-HERE"]}
    broken = await admin.post(f"{ADMIN}/sessions/{sold.session_id}/scans/import", content="{")
    assert broken.status_code == 400
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Scan)) == 0
        assert await uow.session.scalar(select(func.count()).select_from(Admission)) == 0
