"""a contract lock's seats are not held by the client's linked buyers (issue 19, item 2)

A seat reserved for a client with no end (``reserved_until IS NULL``) is a contract lock's
(``channels.contract_locks``): it is sold only by collecting the lock, never through an
ordinary hold — not even by a customer or rep linked to the client. On PostgreSQL
``admit_hold`` (migration 0033's, same signature) opens a reserved seat to the buyer's keys
only when its reservation has an end, and names ``seat_reserved`` for a lock's seat as for
another client's. The definition is 0033's with those two conditions changed, read from it
(a released migration is never edited) and checked to hold the text replaced. Nothing
changes on SQLite (``admit.inventory.counts.free_seat`` says the same in Python).

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-07 23:40:00
"""

import importlib
from collections.abc import Sequence
from types import ModuleType

from alembic import op

revision: str = "0045"
down_revision: str | None = "0044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPENED_BEFORE = """                        OR s.reserved_client_id = ANY (p_clients)
                        OR s.reserved_group_id = ANY (p_groups))"""
OPENED_NOW = """                        OR (s.reserved_until IS NOT NULL
                            AND (s.reserved_client_id = ANY (p_clients)
                                 OR s.reserved_group_id = ANY (p_groups))))"""

REFUSED_BEFORE = """                       AND NOT coalesce(s.reserved_client_id = ANY (p_clients), false)
                       AND NOT coalesce(s.reserved_group_id = ANY (p_groups), false)) THEN"""
REFUSED_NOW = """                       AND NOT coalesce(s.reserved_until IS NOT NULL
                                        AND s.reserved_client_id = ANY (p_clients), false)
                       AND NOT coalesce(s.reserved_until IS NOT NULL
                                        AND s.reserved_group_id = ANY (p_groups), false)) THEN"""


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"admit.migrations.versions.{name}")


def _swap(text: str, before: str, now: str) -> str:
    assert text.count(before) == 1, "the function is not the one this migration replaces"
    return text.replace(before, now)


def _hold_0033() -> str:
    """``admit_hold`` as migration 0033 created it, as a ``CREATE OR REPLACE``."""
    hold: str = _module("0033_client_reservations")._hold_now()
    return hold.replace("CREATE FUNCTION admit_hold(", "CREATE OR REPLACE FUNCTION admit_hold(")


def _hold_now() -> str:
    return _swap(_swap(_hold_0033(), OPENED_BEFORE, OPENED_NOW), REFUSED_BEFORE, REFUSED_NOW)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_hold_now())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_hold_0033())
