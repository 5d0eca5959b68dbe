"""waiting room; audit entries pending their chaining

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import admit.core.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_pending",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("entity_type", sa.String(length=60), nullable=False),
        sa.Column("entity_id", sa.String(length=80), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "sales_waiting_room",
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("opens_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.Column("admission_minutes", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("drawn_at", admit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_place", sa.Integer(), nullable=False),
        sa.Column("created_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"]),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_table(
        "sales_queue_entry",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("entry", sa.String(length=32), nullable=False),
        sa.Column("draw", sa.BigInteger(), nullable=False),
        sa.Column("place", sa.Integer(), nullable=True),
        sa.Column("arrived_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["sales_waiting_room.session_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry"),
        sa.UniqueConstraint("session_id", "place"),
    )
    op.create_index("ix_sales_queue_entry_draw", "sales_queue_entry", ["session_id", "draw"])


def downgrade() -> None:
    op.drop_index("ix_sales_queue_entry_draw", table_name="sales_queue_entry")
    op.drop_table("sales_queue_entry")
    op.drop_table("sales_waiting_room")
    op.drop_table("audit_pending")
