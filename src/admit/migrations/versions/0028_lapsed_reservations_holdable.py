"""a seat whose reservation has lapsed can be held (issue 27, item 2)

A seat reserved for a client until a date shows as free once the date has passed (the
availability map and the counts already say so), but ``admit_hold`` — like the Python claims
it mirrors — took only ``available`` seats and seats of expired holds, so the buyer who chose
it was refused. ``admit_hold`` is replaced by the same function taking lapsed reservations too:
the definition of migration 0021 with that one condition widened (read from 0021 itself, so the
two cannot drift; a migration is never edited once released). SQLite gets nothing.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 14:40:00
"""

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HELD_BEFORE = """                   AND (s.status = 'available'
                        OR (s.status = 'held' AND s.hold_expires_at <= p_now))"""
HELD_NOW = """                   AND (s.status = 'available'
                        OR (s.status = 'held' AND s.hold_expires_at <= p_now)
                        OR (s.status = 'reserved' AND s.reserved_until <= p_now))"""


def _hold_0021() -> str:
    before: str = importlib.import_module(
        "admit.migrations.versions.0021_hold_in_one_statement"
    ).HOLD
    assert before.count(HELD_BEFORE) == 1, "0021's admit_hold is not the one this replaces"
    return before.replace("CREATE FUNCTION admit_hold(", "CREATE OR REPLACE FUNCTION admit_hold(")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_hold_0021().replace(HELD_BEFORE, HELD_NOW))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_hold_0021())
