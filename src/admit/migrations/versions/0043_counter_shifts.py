"""counter shifts (issue 19, item 1; FE2)

A clerk's shift at an outlet: the float in the drawer when it opens, the cash counted when it
closes; ``open_for`` (the staff id while open, unique) keeps one open shift per clerk.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-07 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import admit.core.db

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0043"
down_revision: str | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sales_counter_shift",
        sa.Column(
            "id",
            KEY,
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("staff_id", KEY, sa.ForeignKey("staff_user.id"), nullable=False),
        sa.Column("staff", sa.String(80), nullable=False),
        sa.Column("outlet", sa.String(40), nullable=False),
        sa.Column("opening_float", sa.Integer(), nullable=False),
        sa.Column("counted_cash", sa.Integer(), nullable=True),
        sa.Column("opened_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", admit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("open_for", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("open_for"),
    )
    op.create_index(
        "ix_sales_counter_shift_staff_id", "sales_counter_shift", ["staff_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_sales_counter_shift_staff_id", table_name="sales_counter_shift")
    op.drop_table("sales_counter_shift")
