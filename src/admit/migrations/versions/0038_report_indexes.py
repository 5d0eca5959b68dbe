"""indexes for the reports and the daily bill (issue 18, item 5; G8, C4)

The reports group an organiser's payments captured, refunds done and tickets issued in a
period: each is a range scan of one of these instead of a pass over the whole table.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07 19:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # PostgreSQL reads the reports' columns from the index alone (SQLite has no INCLUDE).
    op.create_index(
        "ix_payment_captured",
        "payment",
        ["organiser_id", "captured_at"],
        postgresql_include=["amount", "number", "order_number"],
    )
    op.create_index("ix_payment_refund_done", "payment_refund", ["status", "done_at"])
    op.create_index(
        "ix_ticket_issued",
        "ticket",
        ["organiser_id", "issued_at"],
        postgresql_include=["session_id", "ticket_type", "order_number"],
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_issued", "ticket")
    op.drop_index("ix_payment_refund_done", "payment_refund")
    op.drop_index("ix_payment_captured", "payment")
