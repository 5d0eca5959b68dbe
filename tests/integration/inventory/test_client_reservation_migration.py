"""Migration 0033 on both databases: seats reserved under a free-text name (before it) point
at one client per distinct name after it (spaces trimmed), and back: the downgrade writes each
reservation's client or group name into the text again."""

from __future__ import annotations

import asyncio

import httpx
from alembic import command
from inventory_factories import key, make_session
from tests.integration.accounts.migration_fixtures import run_sql
from tests.integration.clients.client_factories import make_client, make_group, reserve

from admit.migrations import alembic_config, upgrade

TOMORROW = "2026-11-23T08:00:00Z"
SEATS = "SELECT reserved_for FROM session_seat WHERE reserved_for IS NOT NULL ORDER BY ordinal"
NOW_SEATS = (
    "SELECT c.name, s.reserved_group_id FROM session_seat s JOIN clients c"
    " ON c.id = s.reserved_client_id ORDER BY s.ordinal"
)


async def test_free_text_reservations_become_clients_and_back(
    admin: httpx.AsyncClient, db_url: str
) -> None:
    _, session_id = await make_session(admin)
    await make_client(admin, "Initech")  # reserves nothing: it does not survive a downgrade
    acme = await make_client(admin, "Acme")
    sponsors = await make_group(admin, "Sponsors", [acme])
    assert await reserve(admin, session_id, {"seats": [key("A", 1), key("A", 2)]}, TOMORROW)
    assert await reserve(admin, session_id, {"seats": [key("B", 1)]}, TOMORROW, group_id=sponsors)

    await asyncio.to_thread(command.downgrade, alembic_config(db_url), "0032")

    assert await run_sql(db_url, SEATS) == [("Acme",), ("Acme",), ("Sponsors",)]
    # Names typed differently before clients existed: one client each, spaces trimmed.
    await run_sql(
        db_url,
        "UPDATE session_seat SET reserved_for = '  Acme ' WHERE reserved_for = 'Acme'"
        " AND ordinal = (SELECT min(ordinal) FROM session_seat)",
        "UPDATE session_seat SET reserved_for = '   ' WHERE reserved_for = 'Sponsors'",
    )

    await asyncio.to_thread(upgrade, db_url)

    assert await run_sql(db_url, "SELECT name FROM clients ORDER BY name") == [("Acme",)]
    assert await run_sql(db_url, NOW_SEATS) == [("Acme", None), ("Acme", None)]
    assert await run_sql(db_url, "SELECT count(*) FROM client_groups") == [(0,)]
