"""What a gate device learns of a real-name holder's document number (issue 30, item 14): only
its last characters. An attacker holding a device credential and the manifest cannot search
for the rest offline — the manifest is the same whichever number with that tail the holder
has, and no value in it is an unkeyed hash of the number with anything the manifest carries."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import update
from tests.conftest import TEST_ACTOR
from tests.integration.checkin.gate_factories import ADMIN, DOORS, GATE, ok, register, sell

from admit.accounts.documents import cn_id_check_char
from admit.accounts.identity_models import Identity
from admit.checkin import manifests
from admit.checkin.device_client import DeviceClient
from admit.checkin.validation import Validator
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.ticketing.models import Ticket

NUMBER = "110105194912310021"


def _twin(number: str) -> str:
    """Another valid resident ID number ending in the same four characters (another region
    and birthday; the same sequence and check character)."""
    for day in range(365):
        born = date(1985, 1, 1) + timedelta(days=day)
        first17 = f"310104{born:%Y%m%d}{number[14:17]}"
        if cn_id_check_char(first17) == number[-1]:
            return first17 + number[-1]
    raise AssertionError("no twin found")


async def _real_name(runtime: Runtime, ticket_code: str, number: str) -> None:
    crypto = runtime.crypto
    lookup = crypto.lookup("document", "cn_id", number)
    async with runtime.uow(TEST_ACTOR) as uow:
        uow.session.add(
            Identity(
                lookup=lookup,
                doc_type="cn_id",
                number_enc=crypto.encrypt(number),
                name_enc=crypto.encrypt("张三"),
                name_lookup=crypto.lookup("name", "张三"),
                number_masked=f"{number[:4]}**********{number[-4:]}",
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


async def _renumber(runtime: Runtime, number: str) -> None:
    """The holder's stored number becomes ``number`` (as if they had filed that one)."""
    async with runtime.uow(TEST_ACTOR) as uow:
        await uow.session.execute(
            update(Identity).values(number_enc=runtime.crypto.encrypt(number))
        )


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield str(value)


def _unkeyed_hashes(number: str, salts: set[str]) -> list[str]:
    """What a device could compute from a number and the manifest alone, as hex."""
    variants = {number, number.lower()}
    out = []
    for salt in salts:
        for n in variants:
            for material in (n, f"{salt}:{n}", f"{salt}{n}", f"{n}{salt}", f"{n}:{salt}"):
                for name in ("sha256", "sha1", "md5", "blake2b", "sha512", "sha3_256"):
                    out.append(hashlib.new(name, material.encode()).hexdigest())
    return out


async def _setup(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> tuple[int, Ticket, dict[str, str]]:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1", "L1-HALL-A-2"])
    await _real_name(runtime, sold.tickets[0].code, NUMBER)
    ok(
        await admin.put(
            f"{ADMIN}/sessions/{sold.session_id}/validation-policy",
            json={"identity_check": True},
        )
    )
    return sold.session_id, sold.tickets[0], await register(admin, sold.venue_id, "PRIV-1")


async def test_no_value_in_the_manifest_is_a_function_of_the_number_a_device_can_compute(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    session_id, ticket, headers = await _setup(admin, client, runtime, clock)
    doc = ok(await client.get(f"{GATE}/sessions/{session_id}/manifest", headers=headers))
    strings = set(_strings(doc))
    assert NUMBER not in str(doc)
    assert NUMBER[:-4] not in str(doc)
    hashes = _unkeyed_hashes(NUMBER, strings | {""})
    # No value is any of these hashes, whole or cut short (the old manifest sent the first 16
    # hex digits of SHA-256(salt:number) beside the salt).
    leaks = [s for s in strings if len(s) >= 8 and any(s.lower() in h for h in hashes)]
    assert leaks == []
    entries = [dict(zip(doc["columns"], row, strict=True)) for row in doc["tickets"]]
    named = {(e["code"], e["holder"], e["id_tail"]) for e in entries if e["holder"]}
    assert named == {(ticket.code, "张*", NUMBER[-4:])}


async def test_the_manifest_is_the_same_for_every_number_with_the_same_tail(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    """The attacker's view: given the manifest, the real number and another with the same last
    four characters are indistinguishable — brute force has nothing to test a guess against."""
    session_id, ticket, headers = await _setup(admin, client, runtime, clock)
    qr = ticket.qr
    twin = _twin(NUMBER)
    assert twin != NUMBER
    assert twin[-4:] == NUMBER[-4:]
    url = f"{GATE}/sessions/{session_id}/manifest"
    first = ok(await client.get(url, headers=headers))
    await _renumber(runtime, twin)
    clock.advance(manifests.REFRESH_EVERY + timedelta(seconds=1))  # a full re-read of tickets
    second = ok(await client.get(url, headers=headers))
    assert second == first
    device = DeviceClient(client, headers["X-Device-Key"], gate="MAIN")
    validator = Validator(await device.sync_manifest(session_id))
    # Offline, either number passes the tail check (the gatekeeper compares the card's name
    # and photo too); a number with another tail is refused.
    typed = (twin, NUMBER, NUMBER[:-1] + "9")
    verdicts = [validator.check(qr, gate="MAIN", now=DOORS, id_number=n).result for n in typed]
    assert verdicts == ["admitted", "admitted", "identity_mismatch"]
