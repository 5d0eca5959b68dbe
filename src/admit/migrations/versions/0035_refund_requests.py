"""refunds and exchanges after the sale (issue 18, items 1–2; S11, G11): refund policies per
event or session, refund requests and their tickets, exchanges and the orders they make; a
payment refund remembers when it was last sent

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

# ``admit_open_payment`` (migration 0025) now asks for the order's total less an exchange's
# credit: what ``sales.checkout.add_payment`` asks for.
OPEN_PAYMENT = """
CREATE OR REPLACE FUNCTION admit_open_payment(
    p_order text, p_buyer text, p_method text, p_now timestamptz,
    p_job_kind text, p_job_delay interval
) RETURNS TABLE (
    o_status text, o_number text, o_order text, o_method text, o_state text,
    o_amount integer, o_currency text, o_pay_url text, o_expires_at timestamptz
) LANGUAGE plpgsql AS $$
DECLARE
    o sales_order%ROWTYPE;
    p payment%ROWTYPE;
    v_status text := 'open';
BEGIN
    SELECT * INTO o FROM sales_order WHERE number = p_order FOR UPDATE;
    IF NOT FOUND OR o.buyer <> p_buyer OR o.status <> 'pending_payment'
       OR o.pay_by <= p_now THEN
        RETURN QUERY SELECT 'refused'::text, NULL::text, NULL::text, NULL::text, NULL::text,
            NULL::integer, NULL::text, NULL::text, NULL::timestamptz;
        RETURN;
    END IF;
    SELECT * INTO p FROM payment
     WHERE order_number = p_order AND method = p_method AND status IN ('created', 'pending')
     ORDER BY id LIMIT 1;
    IF NOT FOUND THEN
        v_status := 'opened';
        INSERT INTO payment (number, order_number, organiser_id, method, amount, currency,
                             status, created_at, expires_at, refunded)
        SELECT o.number || 'P' || (1 + (SELECT count(*) FROM payment
                                          WHERE order_number = p_order)),
               o.number, e.organiser_id, p_method, o.total - o.credit, o.currency, 'created', p_now,
               o.pay_by, 0
          FROM session s JOIN event e ON e.id = s.event_id
         WHERE s.id = o.session_id
        RETURNING * INTO p;
        INSERT INTO outbox_job (kind, payload, created_at, run_after, attempts)
        VALUES (p_job_kind, json_build_object('payment', p.number, 'step', 0), p_now,
                p_now + p_job_delay, 0);
    END IF;
    RETURN QUERY SELECT v_status, p.number::text, p.order_number::text, p.method::text,
        p.status::text, p.amount, p.currency::text, p.pay_url::text, p.expires_at;
END $$
"""
OLD_OPEN_PAYMENT = OPEN_PAYMENT.replace("o.total - o.credit", "o.total")

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
        sa.Column("exchanges", sa.Boolean(), nullable=False),
        sa.Column("exchange_fee_fixed", sa.Integer(), nullable=False),
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
    op.create_table(
        "refund_request_refund",
        sa.Column("id", BIG, primary_key=True, autoincrement=True),
        sa.Column("request_id", BIG, sa.ForeignKey("refund_request.id"), nullable=False),
        sa.Column("refund_number", sa.String(32), nullable=False, unique=True),
    )
    op.create_index("ix_refund_request_refund_request_id", "refund_request_refund", ["request_id"])
    op.add_column("sales_order", sa.Column("exchanged_from", sa.Integer(), nullable=True))
    op.add_column(
        "sales_order", sa.Column("credit", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_table(
        "sales_exchange",
        sa.Column("id", BIG, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(20), nullable=False, unique=True),
        sa.Column("old_order_id", BIG, sa.ForeignKey("sales_order.id"), nullable=False),
        sa.Column(
            "new_order_id", BIG, sa.ForeignKey("sales_order.id"), nullable=False, unique=True
        ),
        sa.Column("buyer", sa.String(80), nullable=False),
        sa.Column("policy_id", BIG, sa.ForeignKey("refund_policy.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("old_amount", sa.Integer(), nullable=False),
        sa.Column("fee", sa.Integer(), nullable=False),
        sa.Column("new_amount", sa.Integer(), nullable=False),
        sa.Column("due", sa.Integer(), nullable=False),
        sa.Column("back", sa.Integer(), nullable=False),
        sa.Column("refund_number", sa.String(32), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("done_at", WHEN, nullable=True),
    )
    op.create_index("ix_sales_exchange_old_order_id", "sales_exchange", ["old_order_id"])
    op.create_index("ix_sales_exchange_buyer", "sales_exchange", ["buyer"])
    op.create_table(
        "sales_exchange_ticket",
        sa.Column("id", BIG, primary_key=True, autoincrement=True),
        sa.Column("exchange_id", BIG, sa.ForeignKey("sales_exchange.id"), nullable=False),
        sa.Column("ticket_id", BIG, sa.ForeignKey("ticket.id"), nullable=False),
    )
    op.create_index(
        "ix_sales_exchange_ticket_exchange_id", "sales_exchange_ticket", ["exchange_id"]
    )
    op.create_index("ix_sales_exchange_ticket_ticket_id", "sales_exchange_ticket", ["ticket_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(OPEN_PAYMENT)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(OLD_OPEN_PAYMENT)
    op.drop_table("sales_exchange_ticket")
    op.drop_table("sales_exchange")
    op.drop_column("sales_order", "credit")
    op.drop_column("sales_order", "exchanged_from")
    op.drop_table("refund_request_refund")
    op.drop_table("refund_request_ticket")
    op.drop_table("refund_request")
    op.drop_table("refund_policy")
    op.drop_column("payment_refund", "sent_at")
