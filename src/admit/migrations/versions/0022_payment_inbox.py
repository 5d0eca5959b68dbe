"""the payment inbox: verified notifications recorded, settled in batches (issue 17, item 3)

``payment_inbox`` holds every verified gateway notification from the moment it arrives until
a settler has applied it (``settled_at``); ``(method, trade_no, status)`` is unique, so the
same notification delivered again adds a delivery and nothing else. ``payment_notice`` keeps
the notifications that did not verify; its verified rows from before stay as they were.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from admit.core.db import BigIntKey, UTCDateTime

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_inbox",
        sa.Column("id", BigIntKey, nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("payment_number", sa.String(32), nullable=False),
        sa.Column("trade_no", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("notify_id", sa.String(80), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("remote_addr", sa.String(64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("settled_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(400), nullable=True),
        sa.Column("retry_after", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_inbox")),
        sa.UniqueConstraint(
            "method", "trade_no", "status", name=op.f("uq_payment_inbox_method_trade_no_status")
        ),
    )
    op.create_index("ix_payment_inbox_pending", "payment_inbox", ["settled_at", "id"])
    op.create_index("ix_payment_inbox_payment_number", "payment_inbox", ["payment_number"])


def downgrade() -> None:
    op.drop_table("payment_inbox")
