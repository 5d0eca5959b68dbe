"""The holder's ID checked at the gate against the last characters of the number the manifest
carries (the rest never leaves the server), and devices racing: many uploads of one ticket at
once leave one admission; many first downloads of one manifest make it once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from tests.conftest import TEST_ACTOR
from tests.integration.checkin.gate_factories import ADMIN, DOORS, GATE, ok, register, sell

from admit.accounts.identity_models import Identity
from admit.checkin import validation
from admit.checkin.device_client import DeviceClient
from admit.checkin.models import Admission, ManifestEntry, Scan
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.ticketing.models import Ticket

NUMBER = "110105194912310021"


async def _holder(runtime: Runtime, ticket_code: str) -> None:
    """Make the ticket a real-name ticket of a verified identity (as a real-name sale does)."""
    crypto = runtime.crypto
    lookup = crypto.lookup("document", "cn_id", NUMBER)
    async with runtime.uow(TEST_ACTOR) as uow:
        uow.session.add(
            Identity(
                lookup=lookup,
                doc_type="cn_id",
                number_enc=crypto.encrypt(NUMBER),
                name_enc=crypto.encrypt("张三"),
                name_lookup=crypto.lookup("name", "张三"),
                number_masked="1101**********0021",
                name_masked="张*",
                nationality="CN",
                status="verified",
                method="online",
                created_at=runtime.clock.now(),
            )
        )
        await uow.session.execute(
            update(Ticket)
            .where(Ticket.code == ticket_code)
            .values(holder_name="张三", holder_key=lookup)
        )


async def test_the_holders_id_is_checked_against_the_manifests_tail(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1", "L1-HALL-A-2"])
    named, anonymous = sold.tickets
    await _holder(runtime, named.code)
    ok(
        await admin.put(
            f"{ADMIN}/sessions/{sold.session_id}/validation-policy",
            json={"identity_check": True},
        )
    )
    headers = await register(admin, sold.venue_id, "ID-1")
    doc = ok(await client.get(f"{GATE}/sessions/{sold.session_id}/manifest", headers=headers))
    rows = {row[0]: row for row in doc["tickets"]}
    assert rows[named.code][5:] == ["张*", "0021"] == ["张*", validation.id_tail(NUMBER)]
    assert rows[anonymous.code][5:] == [None, None]
    assert NUMBER not in str(doc)
    assert "salt" not in doc
    device = DeviceClient(client, headers["X-Device-Key"], gate="MAIN")
    await device.sync_manifest(sold.session_id)
    asked = device.validate(named.qr, now=DOORS)
    assert (asked.result, asked.holder, asked.ok) == ("identity_required", "张*", False)
    other = device.validate(named.qr, now=DOORS, id_number="110105194912310000")
    assert other.result == "identity_mismatch"
    right = device.validate(named.qr, now=DOORS, id_number=NUMBER.lower())
    assert (right.result, right.ok) == ("admitted", True)
    assert device.validate(anonymous.qr, now=DOORS).result == "admitted"
    answer = (await device.upload())[0]
    assert (answer["new"], answer["conflicts"]) == (4, [])


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_concurrent_uploads_of_one_ticket_leave_one_admission(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1"])
    ticket = sold.tickets[0]
    devices = []
    for i in range(8):
        device = DeviceClient(
            client, (await register(admin, sold.venue_id, f"R-{i}"))["X-Device-Key"], gate="G"
        )
        await device.whoami()
        devices.append(device)
    # Eight first downloads at once: the manifest is made once.
    manifests = await asyncio.gather(*(d.sync_manifest(sold.session_id) for d in devices))
    assert {m.version for m in manifests} == {1}
    for i, device in enumerate(devices):  # each admits the ticket offline, a minute apart
        assert device.validate(ticket.qr, now=DOORS + timedelta(minutes=7 - i)).ok
    answers = await asyncio.gather(*(d.upload() for d in devices))
    assert sum(a[0]["new"] for a in answers) == 8
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        standing = (
            await uow.session.execute(
                select(Scan.gate_code, Scan.device_time).where(Scan.standing.is_(True))
            )
        ).all()
        conflicts = await uow.session.scalar(select(func.count()).where(Scan.conflict.is_(True)))
        state = (await uow.session.execute(select(Admission.inside, Admission.entries))).all()
        entries = await uow.session.scalar(select(func.count()).select_from(ManifestEntry))
    assert [(g, t) for g, t in standing] == [("G", DOORS)]  # the earliest, by device time
    assert (conflicts, [tuple(s) for s in state], entries) == (7, [(True, 1)], 1)
