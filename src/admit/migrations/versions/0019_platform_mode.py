"""platform_mode: the reconciling mode a restore leaves the platform in (issue 34, item 5)

One row per mode the platform is in (today only ``reconciling``: sales and the worker wait
until payments since the restored backup are reconciled with the gateway); no row, normal
selling.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import admit.core.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platform_mode",
        sa.Column("name", sa.String(20), nullable=False),
        sa.Column("since", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("backup_at", admit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_platform_mode")),
    )


def downgrade() -> None:
    op.drop_table("platform_mode")
