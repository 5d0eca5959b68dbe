"""Counter clerks reach the customers of their outlets only (issue 30, items 2 and 3): a clerk
scoped to an outlet opens accounts there, files documents and reads customers of that outlet
only; anyone else's customer, a web customer and a missing one all answer the same 404."""

from __future__ import annotations

import httpx

from admit.accounts.identity_models import CustomerHolder, Identity
from admit.accounts.models import Customer
from admit.core.runtime import Runtime
from tests.conftest import police_population
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.customer_flows import (
    ADMIN,
    API,
    bearer,
    count,
    ok,
    register_phone,
    rows,
    sms_code,
)

PASSWORD = "Str0ng pass word!"
PEOPLE = list(police_population().items())


async def _clerk(admin: httpx.AsyncClient, username: str, **scope: str) -> dict[str, str]:
    grant = {"role": "kiosk_staff", **scope}
    ok(
        await admin.post(
            f"{ADMIN}/staff",
            json={"username": username, "password": PASSWORD, "grants": [grant]},
        ),
        201,
    )
    login = await admin.post(
        f"{API}/auth/staff/login", json={"username": username, "password": PASSWORD}
    )
    return bearer(ok(login)["token"])


async def _open(
    web: httpx.AsyncClient,
    runtime: Runtime,
    sms: RecordingSmsGateway,
    clerk: dict[str, str],
    phone: str,
    **body: str,
) -> httpx.Response:
    code = await sms_code(web, runtime, sms, phone, "register")
    return await web.post(
        f"{ADMIN}/counter/customers",
        headers=clerk,
        json={
            "login": phone,
            "code": code,
            "password": "Cust0mer pass!",
            "source_channel": "kiosk",
            **body,
        },
    )


def _document(i: int) -> dict[str, str]:
    number, name = PEOPLE[i]
    return {"doc_type": "cn_id", "number": number, "name": name}


async def test_a_clerk_files_documents_for_customers_of_their_outlet_only(
    admin: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    root = dict(admin.headers)
    north = await _clerk(admin, "kiosk.north", scope="outlet", scope_id="NORTH")
    south = await _clerk(admin, "kiosk.south", scope="outlet", scope_id="SOUTH")
    anywhere = await _clerk(admin, "kiosk.all")
    web_token = await register_phone(admin, runtime, sms, "13600000001")
    web_id = ok(await admin.get(f"{API}/me", headers=bearer(web_token)))["id"]
    admin.headers.update(root)

    opened = ok(await _open(admin, runtime, sms, north, "13600000002"), 201)
    assert opened["outlet"] == "NORTH"  # the clerk's only outlet
    elsewhere = await _open(admin, runtime, sms, north, "13600000003", outlet="SOUTH")
    assert elsewhere.status_code == 403
    south_customer = ok(await _open(admin, runtime, sms, south, "13600000004"), 201)
    [row] = await rows(runtime, Customer, Customer.id == opened["customer_id"])
    assert (row.registered_outlet, row.registered_by) == ("NORTH", "staff:2")
    assert await count(runtime, Customer) == 3  # the refused registration opened nothing

    def identity_of(customer: int) -> str:
        return f"{ADMIN}/counter/customers/{customer}/identity"

    # Another outlet's customer, a web customer and nobody: one answer, nothing filed.
    answers = [
        await admin.post(identity_of(customer), headers=who, json=_document(0))
        for who, customer in (
            (south, opened["customer_id"]),
            (north, web_id),
            (anywhere, web_id),
            (north, 999_999),
        )
    ]
    assert {(a.status_code, a.text) for a in answers} == {
        (
            404,
            '{"error":{"code":"not_found","message":"there is no such resource within your '
            'reach","details":null}}',
        )
    }
    assert await count(runtime, Identity) == 0
    assert await count(runtime, CustomerHolder) == 0

    mine = ok(
        await admin.post(identity_of(opened["customer_id"]), headers=north, json=_document(0)), 201
    )
    assert mine["status"] == "verified"
    # A globally granted seller files for any customer opened at a counter.
    theirs = await admin.post(
        identity_of(south_customer["customer_id"]), headers=anywhere, json=_document(1)
    )
    assert ok(theirs, 201)["status"] == "verified"
    assert await count(runtime, CustomerHolder) == 2


async def test_an_outlet_clerk_reads_the_customers_of_their_outlet_only(
    admin: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    root = dict(admin.headers)
    north = await _clerk(admin, "kiosk.north", scope="outlet", scope_id="NORTH")
    south = await _clerk(admin, "kiosk.south", scope="outlet", scope_id="SOUTH")
    await register_phone(admin, runtime, sms, "13600000011")
    admin.headers.update(root)
    customer = ok(await _open(admin, runtime, sms, north, "13600000012"), 201)["customer_id"]

    assert ok(await admin.get(f"{ADMIN}/customers/{customer}", headers=north))["id"] == customer
    hidden = await admin.get(f"{ADMIN}/customers/{customer}", headers=south)
    missing = await admin.get(f"{ADMIN}/customers/999999", headers=south)
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    assert hidden.status_code == 404
    search = f"{ADMIN}/customers/search"
    for phone in ("13600000011", "13600000012"):
        assert ok(await admin.post(search, headers=south, json={"q": phone})) == []
    found = ok(await admin.post(search, headers=north, json={"q": "13600000012"}))
    assert [c["id"] for c in found] == [customer]
    assert ok(await admin.post(search, headers=north, json={"q": "13600000011"})) == []
    stats = await admin.get(f"{ADMIN}/customers/stats", headers=north)
    assert stats.status_code == 403  # statistics of every customer: global grants only
    # Every customer is still visible to customer service (a global grant).
    assert len(ok(await admin.post(search, json={"q": "13600000011"}))) == 1
