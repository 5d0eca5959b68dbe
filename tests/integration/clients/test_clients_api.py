"""Operators keep clients, client groups and the buyers linked to a client (INV3): names are
unique, unknown ids are 404 with nothing written, every change is audited, and a link or an
unlink counts for the next hold at once (the process's map of keys is cleared)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from tests.integration.clients.client_factories import ADMIN, make_client, make_group, reserve
from tests.integration.sales.sale_factories import ROW_A, customers_with_ids, on_sale

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime

pytestmark = pytest.mark.backends


async def _audit(admin: httpx.AsyncClient) -> list[tuple[str, str, dict[str, object]]]:
    entries = (await admin.get(f"{ADMIN}/audit", params={"limit": 100})).json()
    return [
        (e["action"], e["entity_type"], e["data"])
        for e in entries
        if e["entity_type"] in ("client", "client_group")
    ]


async def test_clients_groups_and_links(admin: httpx.AsyncClient, runtime: Runtime) -> None:
    acme = await make_client(admin, "Acme")
    again = await admin.post(f"{ADMIN}/clients", json={"name": " Acme "})
    assert again.status_code == 409, again.text
    assert again.json()["error"]["code"] == "already_exists"
    globex = await make_client(admin, "Globex")
    group = await make_group(admin, "Sponsors", [globex, acme])
    ((cid, _),) = await customers_with_ids(runtime, 1)

    linked = await admin.post(f"{ADMIN}/clients/{acme}/customers", json={"customer_id": cid})
    assert linked.json() == {
        "id": acme,
        "name": "Acme",
        "groups": [group],
        "customers": [cid],
        "reps": [],
        "managers": [],
    }
    members = await admin.put(f"{ADMIN}/client-groups/{group}/clients", json={"clients": [acme]})
    assert members.json() == {"id": group, "name": "Sponsors", "clients": [acme]}
    assert (await admin.get(f"{ADMIN}/client-groups")).json() == [members.json()]
    listed = (await admin.get(f"{ADMIN}/clients")).json()
    assert [(c["name"], c["groups"], c["customers"]) for c in listed] == [
        ("Acme", [group], [cid]),
        ("Globex", [], []),
    ]
    assert await _audit(admin) == [
        ("client_group.members_set", "client_group", {"clients": [acme]}),
        ("client.customer_linked", "client", {"customer_id": cid}),
        ("client_group.members_set", "client_group", {"clients": sorted([acme, globex])}),
        ("client_group.created", "client_group", {"name": "Sponsors"}),
        ("client.created", "client", {"name": "Globex"}),
        ("client.created", "client", {"name": "Acme"}),
    ]

    before = await _audit(admin)
    for path, body in (
        (f"{ADMIN}/clients/{acme}/customers", {"customer_id": 999_999}),
        (f"{ADMIN}/clients/999999/customers", {"customer_id": cid}),
        (f"{ADMIN}/clients/{acme}/reps", {"staff_id": 999_999}),
    ):
        missing = await admin.post(path, json=body)
        assert missing.status_code == 404, (path, missing.text)
    absent = await admin.put(f"{ADMIN}/client-groups/{group}/clients", json={"clients": [999_999]})
    assert absent.status_code == 404
    assert absent.json()["error"]["details"] == {"clients": [999_999]}
    assert await _audit(admin) == before
    assert (await admin.get(f"{ADMIN}/client-groups")).json() == [members.json()]


async def test_an_unlinked_account_is_a_stranger_at_once(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    ((cid, ann),) = await customers_with_ids(runtime, 1)
    acme = await make_client(admin, "Acme")
    until = (clock.now() + timedelta(hours=1)).isoformat()
    assert (await reserve(admin, sid, {"seats": ROW_A[:2]}, until)).status_code == 200
    path = f"/api/v1/sessions/{sid}/holds"
    link = f"{ADMIN}/clients/{acme}/customers"

    await admin.post(link, json={"customer_id": cid})
    assert (await client.post(path, headers=ann, json={"seats": ROW_A[:1]})).status_code == 201
    unlinked = await admin.post(link, json={"customer_id": cid, "linked": False})
    assert unlinked.json()["customers"] == []
    refused = await client.post(path, headers=ann, json={"seats": ROW_A[1:2]})
    assert refused.json()["error"]["code"] == "seat_reserved"
