"""worker heartbeats: each worker process records its last completed cycle, for readiness and
``/metrics`` (operations issue 34, items 3 and 8)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import admit.core.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeat",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("started_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_heartbeat")),
    )


def downgrade() -> None:
    op.drop_table("worker_heartbeat")
