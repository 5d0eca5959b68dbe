"""the reports' daily roll-up (issue 18, item 5; G8, C4)

Each closed UTC day's figures per organiser, dimension and key, who paid that day, and how
far the roll-up has come: a report over a year reads these instead of every payment and
ticket of the year joined to its order.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import admit.core.db

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_day_figure",
        sa.Column("organiser_id", sa.BigInteger(), primary_key=True),
        sa.Column("dimension", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("payments", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("refunds", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("tickets", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "report_day_buyer",
        sa.Column("organiser_id", sa.BigInteger(), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("buyer", sa.String(80), primary_key=True),
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("buyer_kind", sa.String(12), nullable=False),
        sa.Column("source", sa.String(20), nullable=True),
        sa.Column("region", sa.String(40), nullable=True),
    )
    op.create_table(
        "report_rollup",
        sa.Column("id", sa.SmallInteger(), primary_key=True),
        sa.Column("through", sa.Date(), nullable=True),
        sa.Column("rolled_at", admit.core.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.execute("INSERT INTO report_rollup (id) VALUES (1)")  # nothing rolled up yet


def downgrade() -> None:
    op.drop_table("report_rollup")
    op.drop_table("report_day_buyer")
    op.drop_table("report_day_figure")
