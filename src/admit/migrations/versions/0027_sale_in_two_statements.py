"""selling a batch of holds in two statements on PostgreSQL (issue 17, items 1 and 3)

``admit_sell(holds, orders, payments, codes, now)`` does the state changes of
``admit.sales.selling.sell_many`` that took five round trips: the buyers' per-person counters
(held → bought, locked in (session, buyer) order), the holds' seats sold to their orders, the
holds ``sold``, the orders ``paid`` with their payment and pickup code. The pickup codes are
drawn in Python (``secrets``); if one is already an order's, it answers ``false`` having
written nothing and the caller draws again. ``admit_sell_slices(holds)`` moves what the holds
counted from held to sold on their counter slices, locked in (counter, slice) order, GA areas
then quotas — sent last, just before the commit, like every take of a shared counter. The
holds and orders are locked by the caller. SQLite gets nothing.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 09:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SELL = """
CREATE FUNCTION admit_sell(
    p_holds bigint[], p_orders bigint[], p_payments text[], p_codes text[], p_now timestamptz
) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM sales_order WHERE pickup_code = ANY(p_codes)) THEN
        RETURN false;
    END IF;
    PERFORM 1 FROM sales_buyer_usage u
      JOIN (SELECT DISTINCT h.session_id, h.buyer FROM sales_hold h WHERE h.id = ANY(p_holds)) h
        ON u.session_id = h.session_id AND u.buyer = h.buyer
     ORDER BY u.session_id, u.buyer
       FOR UPDATE OF u;
    UPDATE sales_buyer_usage u SET held = u.held - h.n, bought = u.bought + h.n
      FROM (SELECT h.session_id, h.buyer, sum(h.quantity) AS n FROM sales_hold h
             WHERE h.id = ANY(p_holds) GROUP BY h.session_id, h.buyer) h
     WHERE u.session_id = h.session_id AND u.buyer = h.buyer;
    UPDATE session_seat s SET status = 'sold', hold_expires_at = NULL, order_id = x.order_id
      FROM unnest(p_holds, p_orders) AS x(hold_id, order_id)
     WHERE s.hold_id = x.hold_id AND s.status = 'held';
    UPDATE sales_hold SET status = 'sold', ended_at = p_now WHERE id = ANY(p_holds);
    UPDATE sales_order o
       SET status = 'paid', paid_at = p_now, ended_at = NULL, paid_by = x.payment,
           pickup_code = x.code
      FROM unnest(p_orders, p_payments, p_codes) AS x(order_id, payment, code)
     WHERE o.id = x.order_id;
    RETURN true;
END $$
"""

# The slices the holds counted on for one kind of counter, locked in (counter, slice) order,
# then moved from held to sold in one statement.
SELL_SLICES_OF = """
    PERFORM 1 FROM {table} s
      JOIN (SELECT DISTINCT hc.{column} AS counter_id, hc.slice FROM sales_hold_count hc
             WHERE hc.hold_id = ANY(p_holds) AND {which}) t
        ON s.counter_id = t.counter_id AND s.slice = t.slice
     ORDER BY s.counter_id, s.slice
       FOR UPDATE OF s;
    UPDATE {table} s SET held = s.held - t.n, sold = s.sold + t.n
      FROM (SELECT hc.{column} AS counter_id, hc.slice, sum(hc.quantity) AS n
              FROM sales_hold_count hc
             WHERE hc.hold_id = ANY(p_holds) AND {which}
             GROUP BY hc.{column}, hc.slice) t
     WHERE s.counter_id = t.counter_id AND s.slice = t.slice;
"""

SELL_SLICES = (
    """
CREATE FUNCTION admit_sell_slices(p_holds bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
"""
    + SELL_SLICES_OF.format(
        table="session_ga_slice", column="session_ga_id", which="hc.session_ga_id IS NOT NULL"
    )
    + SELL_SLICES_OF.format(
        table="sales_window_quota_slice",
        column="quota_id",
        which="hc.session_ga_id IS NULL AND hc.quota_id IS NOT NULL",
    )
    + """
END $$
"""
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(SELL)
    op.execute(SELL_SLICES)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS admit_sell_slices")
    op.execute("DROP FUNCTION IF EXISTS admit_sell")
