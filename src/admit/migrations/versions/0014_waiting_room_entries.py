"""waiting room: one entry per customer and per device in a room (security issue 30, item 8)

Entries remember the device they were joined from (a keyed digest); unique indexes allow one
entry per (room, customer) and per (room, device). Entries made before joining needed an
account have no customer and stay. Where an earlier customer had bound several admissions in
one room, the first entry keeps the customer and the others lose it (their tokens, of the old
kind, are no longer accepted anyway).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sales_queue_entry", sa.Column("device", sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE sales_queue_entry SET customer_id = NULL WHERE customer_id IS NOT NULL "
        "AND id NOT IN (SELECT MIN(id) FROM sales_queue_entry WHERE customer_id IS NOT NULL "
        "GROUP BY session_id, customer_id)"
    )
    op.create_index(
        "uq_sales_queue_entry_customer",
        "sales_queue_entry",
        ["session_id", "customer_id"],
        unique=True,
    )
    op.create_index(
        "uq_sales_queue_entry_device", "sales_queue_entry", ["session_id", "device"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_sales_queue_entry_device", table_name="sales_queue_entry")
    op.drop_index("uq_sales_queue_entry_customer", table_name="sales_queue_entry")
    op.execute("ALTER TABLE sales_queue_entry DROP COLUMN device")
