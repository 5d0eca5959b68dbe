"""index of a hold's seats (release, sale and reads of a hold scanned every session's seats)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 03:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_session_seat_hold", "session_seat", ["hold_id"])


def downgrade() -> None:
    op.drop_index("ix_session_seat_hold", table_name="session_seat")
