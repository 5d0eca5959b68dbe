"""Clients, client groups and linked buyers made through the admin API, for the tests."""

from __future__ import annotations

import httpx

ADMIN = "/api/v1/admin"


async def make_client(admin: httpx.AsyncClient, name: str = "Acme") -> int:
    """A client's id: made, or found when a client of that name exists."""
    made = await admin.post(f"{ADMIN}/clients", json={"name": name})
    if made.status_code == 409:
        found = (await admin.get(f"{ADMIN}/clients")).json()
        return int(next(c["id"] for c in found if c["name"] == name))
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def make_group(admin: httpx.AsyncClient, name: str, clients: list[int]) -> int:
    made = await admin.post(f"{ADMIN}/client-groups", json={"name": name, "clients": clients})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def link_customer(admin: httpx.AsyncClient, client_id: int, customer_id: int) -> None:
    linked = await admin.post(
        f"{ADMIN}/clients/{client_id}/customers", json={"customer_id": customer_id}
    )
    assert linked.status_code == 200, linked.text


async def reserve(
    admin: httpx.AsyncClient,
    session_id: int,
    select: dict[str, object],
    until: str,
    *,
    client: str | None = "Acme",
    group_id: int | None = None,
) -> httpx.Response:
    """Reserve seats for a client (by name, made if need be) or a client group."""
    body: dict[str, object] = {"select": select, "until": until}
    if group_id is not None:
        body["group_id"] = group_id
    else:
        assert client is not None
        body["client_id"] = await make_client(admin, client)
    return await admin.post(f"{ADMIN}/sessions/{session_id}/plan/reservations", json=body)
