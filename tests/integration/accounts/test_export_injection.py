"""Formula injection (issue 30, item 15): a name that a spreadsheet would run as a formula is
refused when filed, and the identities export neutralises any such name already stored."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from admit.accounts.identity_models import CustomerHolder, Identity
from admit.core import csv_export
from admit.core.runtime import Runtime
from tests.conftest import TEST_ACTOR
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.customer_flows import (
    ADMIN,
    API,
    bearer,
    count,
    error,
    ok,
    register_phone,
)

HOSTILE = ("=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@A1", "\t=1+1", "\r=1+1")


@pytest.fixture
async def customer(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> dict[str, str]:
    return bearer(await register_phone(web, runtime, sms, "13812345678"))


def _passport(name: str, number: str = "E12345678") -> dict[str, str]:
    return {
        "doc_type": "foreign_passport",
        "number": number,
        "name": name,
        "nationality": "US",
        "visa_expires": "2027-06-22",
    }


@pytest.mark.parametrize("name", [*HOSTILE, "Bob1", "John\x00Smith", "-Anne", "Anne-"])
async def test_a_name_outside_the_character_rules_is_refused(
    web: httpx.AsyncClient, customer: dict[str, str], runtime: Runtime, name: str
) -> None:
    refused = await web.post(f"{API}/me/identity", json=_passport(name), headers=customer)
    body = error(refused, 422, "invalid_request")
    assert "name" in str(body["details"])
    assert await count(runtime, Identity) == 0
    assert await count(runtime, CustomerHolder) == 0


@pytest.mark.parametrize("name", ["Anne-Marie O'Neil", "Zoë  Ångström", "阿依古丽·买买提"])
async def test_names_of_every_script_with_their_joiners_are_taken(
    web: httpx.AsyncClient, customer: dict[str, str], name: str
) -> None:
    filed = ok(await web.post(f"{API}/me/identity", json=_passport(name), headers=customer), 201)
    assert filed["holders"][0]["status"] == "pending"


async def _stored_hostile_identities(runtime: Runtime) -> None:
    """Identities waiting for the offline review whose names came in before the rules."""
    crypto = runtime.crypto
    async with runtime.uow(TEST_ACTOR) as uow:
        for i, name in enumerate(HOSTILE):
            number = f"E{i:08d}"
            uow.session.add(
                Identity(
                    lookup=crypto.lookup("document", "foreign_passport", number),
                    doc_type="foreign_passport",
                    number_enc=crypto.encrypt(number),
                    name_enc=crypto.encrypt(name),
                    name_lookup=crypto.lookup("name", name),
                    number_masked="E0******0",
                    name_masked="*",
                    nationality="US",
                    status="pending",
                    method="offline",
                    created_at=runtime.clock.now(),
                )
            )


async def test_the_identities_export_has_no_cell_a_spreadsheet_would_evaluate(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _stored_hostile_identities(runtime)
    response = await admin.get(f"{ADMIN}/identities/export")
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    assert rows[0] == ["identity_id", "doc_type", "number", "name", "nationality", "visa_expires"]
    cells = [cell for row in rows for cell in row]
    assert [c for c in cells if c.startswith(csv_export.FORMULA_STARTS)] == []
    assert sorted(row[3] for row in rows[1:]) == sorted("'" + name for name in HOSTILE)
