"""a payment opened in one statement on PostgreSQL (issue 17, item 1)

``admit_open_payment(…)`` does what ``admit.sales.checkout.open_payment`` does in four or five
statements: it locks the buyer's order (so two calls at once cannot both open a payment), returns
the order's open payment by the same method if there is one, or adds a payment of the order's
total — numbered after the order's payments so far, payable until the order's time runs out,
for the session's organiser — with the job that queries the gateway if no notification comes.
An order that is not the buyer's, not pending payment or out of time is answered ``refused``
with nothing written; the caller lets ``open_payment``'s statements explain it. SQLite gets
nothing.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 08:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_PAYMENT = """
CREATE FUNCTION admit_open_payment(
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
               o.number, e.organiser_id, p_method, o.total, o.currency, 'created', p_now,
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


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(OPEN_PAYMENT)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS admit_open_payment")
