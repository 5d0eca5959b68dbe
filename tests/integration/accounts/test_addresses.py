"""Customers' delivery addresses (issue 27, item 3; API3, FE3) through the API, on SQLite and
PostgreSQL: add, list, read, change, remove and choose the default; only one's own (another
customer's address: 404, and nothing moves); malformed addresses refused (422, 400) and past
the cap (409 ``address_limit``) with nothing stored; every change audited without the
personal data; the street, recipient and phone encrypted at rest; staff see them on the
customer masked, and in clear only with ``personal_data.unmask`` (audited)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from admit.accounts.address_rules import MAX_ADDRESSES
from admit.accounts.models import CustomerAddress
from admit.core.runtime import Runtime
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.customer_flows import API, bearer, count, error, ok, register_phone
from tests.integration.accounts.identity_documents import PHONES
from tests.integration.accounts.people_factories import ADMIN, audit_entries, make_staff
from tests.integration.accounts.stored_text import every_stored_text

pytestmark = pytest.mark.backends

URL = f"{API}/me/addresses"
STREET, RECIPIENT, PHONE = "中关村大街27号 3单元 501", "韩梅梅", "13512345678"
HOME: dict[str, Any] = {
    "province": "北京市",
    "city": "北京市",
    "district": "海淀区",
    "street": STREET,
    "recipient": RECIPIENT,
    "phone": PHONE,
    "postal_code": "100080",
    "label": "家",
}
OFFICE: dict[str, Any] = {
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "street": "世纪大道100号",
    "recipient": "李雷",
    "phone": "13698765432",
}


def _ids(listed: list[dict[str, Any]]) -> list[tuple[int, bool]]:
    return [(a["id"], a["is_default"]) for a in listed]


async def test_an_address_is_added_read_changed_made_default_and_removed(
    web: httpx.AsyncClient, customer: dict[str, str], admin: httpx.AsyncClient
) -> None:
    home = ok(await web.post(URL, json=HOME, headers=customer), 201)
    expected = {**HOME, "phone": "135****5678", "id": home["id"], "is_default": True}
    assert {k: v for k, v in home.items() if k != "updated_at"} == expected, "first: default"
    assert ok(await web.get(f"{URL}/{home['id']}", headers=customer)) == home

    office = ok(await web.post(URL, json=OFFICE, headers=customer), 201)
    assert (office["is_default"], office["postal_code"], office["label"]) == (False, None, None)
    assert _ids(ok(await web.get(URL, headers=customer))) == [
        (home["id"], True),
        (office["id"], False),
    ]

    changed = ok(
        await web.patch(
            f"{URL}/{home['id']}",
            json={"street": "  中关村大街  28号 ", "label": None, "phone": "13500001111"},
            headers=customer,
        )
    )
    assert (changed["street"], changed["label"], changed["phone"]) == (
        "中关村大街 28号",
        None,
        "135****1111",
    )
    assert (changed["recipient"], changed["is_default"]) == (RECIPIENT, True)

    switched = ok(await web.post(f"{URL}/{office['id']}/default", headers=customer))
    assert _ids(switched) == [(office["id"], True), (home["id"], False)]
    third = ok(await web.post(URL, json={**HOME, "is_default": True}, headers=customer), 201)
    assert _ids(ok(await web.get(URL, headers=customer))) == [
        (third["id"], True),
        (home["id"], False),
        (office["id"], False),
    ]

    ok(await web.delete(f"{URL}/{third['id']}", headers=customer), 204)
    # The default removed: the earliest added of the others is the default now.
    assert _ids(ok(await web.get(URL, headers=customer))) == [
        (home["id"], True),
        (office["id"], False),
    ]
    error(await web.get(f"{URL}/{third['id']}", headers=customer), 404, "not_found")

    me = ok(await web.get(f"{API}/me", headers=customer))
    entries = [
        e
        for e in await audit_entries(admin, entity_type="customer", entity_id=str(me["id"]))
        if e["action"].startswith("address.")
    ]
    assert [(e["action"], e["data"]) for e in reversed(entries)] == [
        ("address.added", {"address_id": home["id"], "default": True}),
        ("address.added", {"address_id": office["id"], "default": False}),
        ("address.changed", {"address_id": home["id"], "fields": ["label", "phone", "street"]}),
        ("address.default_set", {"address_id": office["id"]}),
        ("address.added", {"address_id": third["id"], "default": True}),
        ("address.removed", {"address_id": third["id"], "new_default": home["id"]}),
    ]
    assert all(e["actor"] == f"customer:{me['id']}" for e in entries)


async def test_another_customers_address_is_not_found_and_stays_as_it_was(
    web: httpx.AsyncClient, customer: dict[str, str], runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    other = bearer(await register_phone(web, runtime, sms, PHONES[1]))
    theirs = ok(await web.post(URL, json=HOME, headers=other), 201)
    mine = ok(await web.post(URL, json=OFFICE, headers=customer), 201)
    at = f"{URL}/{theirs['id']}"

    error(await web.get(at, headers=customer), 404, "not_found")
    error(await web.patch(at, json={"street": "别处1号"}, headers=customer), 404, "not_found")
    error(await web.post(f"{at}/default", headers=customer), 404, "not_found")
    error(await web.delete(at, headers=customer), 404, "not_found")
    error(await web.get(f"{URL}/999999", headers=customer), 404, "not_found")

    assert ok(await web.get(URL, headers=other)) == [theirs]
    assert ok(await web.get(URL, headers=customer)) == [mine]
    error(await web.get(URL), 401, "unauthorized")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"province": "   "}, "province"),
        ({"district": "区" * 41}, "district"),
        ({"street": "中关村\x00大街"}, "street"),
        ({"recipient": "韩梅梅2"}, "recipient"),
        ({"phone": "12345678901"}, "phone"),
        ({"phone": "1351234567"}, "phone"),
        ({"postal_code": "10008"}, "postal_code"),
        ({"label": "l" * 31}, "label"),
        ({"country": "CN"}, "country"),
    ],
)
async def test_a_malformed_address_is_refused_and_nothing_is_stored(
    web: httpx.AsyncClient,
    customer: dict[str, str],
    runtime: Runtime,
    change: dict[str, Any],
    field: str,
) -> None:
    refused = error(
        await web.post(URL, json={**HOME, **change}, headers=customer), 422, "invalid_request"
    )
    assert field in str(refused["details"])
    assert await count(runtime, CustomerAddress) == 0

    kept = ok(await web.post(URL, json=HOME, headers=customer), 201)
    error(
        await web.patch(f"{URL}/{kept['id']}", json=change, headers=customer),
        422,
        "invalid_request",
    )
    assert ok(await web.get(f"{URL}/{kept['id']}", headers=customer)) == kept


async def test_a_required_field_cannot_be_cleared(
    web: httpx.AsyncClient, customer: dict[str, str]
) -> None:
    kept = ok(await web.post(URL, json=HOME, headers=customer), 201)
    for field in ("province", "street", "recipient", "phone"):
        refused = error(
            await web.patch(f"{URL}/{kept['id']}", json={field: None}, headers=customer),
            400,
            "invalid_address",
        )
        assert refused["details"] == {"field": field}
    assert ok(await web.get(f"{URL}/{kept['id']}", headers=customer)) == kept


async def test_an_account_keeps_at_most_twenty_addresses(
    web: httpx.AsyncClient, customer: dict[str, str], runtime: Runtime
) -> None:
    added = [
        ok(await web.post(URL, json={**OFFICE, "street": f"世纪大道{n}号"}, headers=customer), 201)
        for n in range(MAX_ADDRESSES)
    ]
    refused = error(await web.post(URL, json=HOME, headers=customer), 409, "address_limit")
    assert refused["details"] == {"limit": MAX_ADDRESSES}
    assert await count(runtime, CustomerAddress) == MAX_ADDRESSES
    assert [a["is_default"] for a in added] == [True] + [False] * (MAX_ADDRESSES - 1)

    ok(await web.delete(f"{URL}/{added[-1]['id']}", headers=customer), 204)
    ok(await web.post(URL, json=HOME, headers=customer), 201)
    assert await count(runtime, CustomerAddress) == MAX_ADDRESSES


async def test_the_street_recipient_and_phone_are_encrypted_at_rest(
    web: httpx.AsyncClient, customer: dict[str, str], runtime: Runtime
) -> None:
    home = ok(await web.post(URL, json=HOME, headers=customer), 201)
    ok(await web.patch(f"{URL}/{home['id']}", json={"recipient": "李小龙"}, headers=customer))

    async with runtime.engine.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT province, street_enc, recipient_enc, phone_enc FROM customer_address")
            )
        ).one()
    assert stored[0] == "北京市"  # the region is kept in clear
    assert [runtime.crypto.decrypt(v) for v in stored[1:]] == [STREET, "李小龙", PHONE]
    everything = await every_stored_text(runtime)  # the audit log included
    for secret in (STREET, "中关村", RECIPIENT, "李小龙", PHONE):
        assert secret not in everything, secret


async def test_staff_see_addresses_masked_and_unmasked_only_with_the_permission_audited(
    web: httpx.AsyncClient,
    customer: dict[str, str],
    admin: httpx.AsyncClient,
    http: httpx.AsyncClient,
) -> None:
    home = ok(await web.post(URL, json=HOME, headers=customer), 201)
    cid = ok(await web.get(f"{API}/me", headers=customer))["id"]
    kiosk = await make_staff(admin, http, username="kiosk1", role="kiosk_staff")
    agent = await make_staff(admin, http, username="cs1", role="customer_service")
    at = f"{ADMIN}/customers/{cid}"
    masked_row = {
        "id": home["id"],
        "label": "家",
        "province": "北京市",
        "city": "北京市",
        "district": "海淀区",
        "street": "中关****",
        "postal_code": "100080",
        "recipient": "韩**",
        "phone": "135****5678",
        "is_default": True,
    }

    for who in (kiosk, agent):
        seen = await http.get(at, headers=who.headers)
        assert ok(seen)["addresses"] == [masked_row]
        for secret in ("中关村", "大街", RECIPIENT, PHONE):
            assert secret not in seen.text
    refused = await http.get(at, params={"unmask": "true"}, headers=kiosk.headers)
    error(refused, 403, "forbidden")
    assert STREET not in refused.text
    assert await _viewed(admin, cid) == []

    full = ok(await http.get(at, params={"unmask": "true"}, headers=agent.headers))
    assert full["addresses"] == [
        {**masked_row, "street": STREET, "recipient": RECIPIENT, "phone": PHONE}
    ]
    viewed = await _viewed(admin, cid)
    assert [(e["actor"], e["data"]["fields"]) for e in viewed] == [
        (agent.actor, ["phone", "email", "holders", "addresses"])
    ]


async def _viewed(admin: httpx.AsyncClient, customer_id: int) -> list[dict[str, Any]]:
    entries = await audit_entries(admin, entity_type="customer", entity_id=str(customer_id))
    return [e for e in entries if e["action"] == "personal_data.viewed"]
