"""refunds after the sale (issue 18, item 1; S11, G11): refund policies per event or session,
refund requests and their tickets; a payment refund remembers when it was last sent

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("payment_refund", sa.Column("sent_at", WHEN, nullable=True))
    op.create_table(
        "refund_policy",
        sa.Column("id", BIG, primary_key=True, autoincrement=True),
        sa.Column("target", sa.String(30), nullable=False, unique=True),
        sa.Column("event_id", BIG, sa.ForeignKey("event.id"), nullable=True),
        sa.Column("session_id", BIG, sa.ForeignKey("session.id"), nullable=True),
        sa.Column("reason", sa.String(12), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("paid_before", WHEN, nullable=False),
        sa.Column("closes_at", WHEN, nullable=True),
        sa.Column("fee_fixed", sa.Integer(), nullable=False),
        sa.Column("fee_percent_bp", sa.Integer(), nullable=False),
        sa.Column("fee_tiers", sa.JSON(), nullable=False),
        sa.Column("approval_required", sa.Boolean(), nullable=False),
        sa.Column("opened_at", WHEN, nullable=False),
        sa.Column("opened_by", sa.String(120), nullable=False),
        sa.Column("closed_at", WHEN, nullable=True),
        sa.CheckConstraint("(event_id IS NULL) <> (session_id IS NULL)", name="one_target"),
    )
    op.create_table(
        "refund_request",
        sa.Column("id", BIG, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(20), nullable=False, unique=True),
        sa.Column("order_id", BIG, sa.ForeignKey("sales_order.id"), nullable=False),
        sa.Column("order_number", sa.String(20), nullable=False),
        sa.Column("session_id", BIG, sa.ForeignKey("session.id"), nullable=False),
        sa.Column("buyer", sa.String(80), nullable=False),
        sa.Column("policy_id", BIG, sa.ForeignKey("refund_policy.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("fee", sa.Integer(), nullable=False),
        sa.Column("refund", sa.Integer(), nullable=False),
        sa.Column("physical", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("decided_by", sa.String(120), nullable=True),
        sa.Column("decision_note", sa.String(200), nullable=True),
        sa.Column("returned_at", WHEN, nullable=True),
        sa.Column("returned_by", sa.String(120), nullable=True),
        sa.Column("refund_number", sa.String(32), nullable=True),
        sa.Column("done_at", WHEN, nullable=True),
    )
    op.create_index("ix_refund_request_order_id", "refund_request", ["order_id"])
    op.create_index("ix_refund_request_session_id", "refund_request", ["session_id"])
    op.create_index("ix_refund_request_buyer", "refund_request", ["buyer"])
    op.create_index("ix_refund_request_status", "refund_request", ["status", "id"])
    op.create_table(
        "refund_request_ticket",
        sa.Column("id", BIG, primary_key=True, autoincrement=True),
        sa.Column("request_id", BIG, sa.ForeignKey("refund_request.id"), nullable=False),
        sa.Column("ticket_id", BIG, sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("live_ticket_id", sa.Integer(), nullable=True, unique=True),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("fee", sa.Integer(), nullable=False),
    )
    op.create_index("ix_refund_request_ticket_request_id", "refund_request_ticket", ["request_id"])
    op.create_index("ix_refund_request_ticket_ticket_id", "refund_request_ticket", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("refund_request_ticket")
    op.drop_table("refund_request")
    op.drop_table("refund_policy")
    op.drop_column("payment_refund", "sent_at")
