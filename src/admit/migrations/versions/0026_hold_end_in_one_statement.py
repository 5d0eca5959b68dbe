"""holds end in one statement on PostgreSQL (issue 17, item 1)

``admit_end_holds(ids, status, now)`` does what ``admit.sales.hold_endings.end_holds`` does in
about six statements for holds without an unpaid order: the buyers' per-person counters, the
seats, the holds' own status and the counter slices they took come back — in the lock order
every hold and sale keeps (holds, locked by the caller → buyer counters by (session, buyer)
→ seats → GA area slices, then quota slices, each by (counter, slice)). When one of the holds
has an unpaid order (whose end closes trades and gives back holders' counts) it answers
``false`` having written nothing, and the caller takes the statements.

``admit_release(hold, buyer, now)`` is the buyer's release: the hold locked, ended through
``admit_end_holds`` when it is active, and answered as it stands; ``refused`` (nothing written)
when it is not the buyer's or has an unpaid order. SQLite gets nothing.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The slices the holds took from one kind of counter, locked in (counter, slice) order, then
# given back in one statement.
GIVE_BACK = """
    PERFORM 1 FROM {table} s
      JOIN (SELECT DISTINCT hc.{column} AS counter_id, hc.slice FROM sales_hold_count hc
             WHERE hc.hold_id = ANY(p_ids) AND {which}) t
        ON s.counter_id = t.counter_id AND s.slice = t.slice
     ORDER BY s.counter_id, s.slice
       FOR UPDATE OF s;
    UPDATE {table} s SET held = s.held - t.n
      FROM (SELECT hc.{column} AS counter_id, hc.slice, sum(hc.quantity) AS n
              FROM sales_hold_count hc
             WHERE hc.hold_id = ANY(p_ids) AND {which}
             GROUP BY hc.{column}, hc.slice) t
     WHERE s.counter_id = t.counter_id AND s.slice = t.slice;
"""

END_HOLDS = (
    """
CREATE FUNCTION admit_end_holds(p_ids bigint[], p_status text, p_now timestamptz)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM sales_order
                WHERE hold_id = ANY(p_ids) AND status = 'pending_payment') THEN
        RETURN false;
    END IF;
    PERFORM 1 FROM sales_buyer_usage u
      JOIN (SELECT DISTINCT h.session_id, h.buyer FROM sales_hold h WHERE h.id = ANY(p_ids)) h
        ON u.session_id = h.session_id AND u.buyer = h.buyer
     ORDER BY u.session_id, u.buyer
       FOR UPDATE OF u;
    UPDATE sales_buyer_usage u SET held = u.held - h.n
      FROM (SELECT h.session_id, h.buyer, sum(h.quantity) AS n FROM sales_hold h
             WHERE h.id = ANY(p_ids) GROUP BY h.session_id, h.buyer) h
     WHERE u.session_id = h.session_id AND u.buyer = h.buyer;
    UPDATE session_seat SET status = 'available', hold_id = NULL, hold_expires_at = NULL
     WHERE hold_id = ANY(p_ids) AND status = 'held';
    UPDATE sales_hold SET status = p_status, ended_at = p_now WHERE id = ANY(p_ids);
"""
    + GIVE_BACK.format(
        table="session_ga_slice", column="session_ga_id", which="hc.session_ga_id IS NOT NULL"
    )
    + GIVE_BACK.format(
        table="sales_window_quota_slice",
        column="quota_id",
        which="hc.session_ga_id IS NULL AND hc.quota_id IS NOT NULL",
    )
    + """
    RETURN true;
END $$
"""
)

RELEASE = """
CREATE FUNCTION admit_release(p_hold bigint, p_buyer text, p_now timestamptz)
RETURNS TABLE (
    o_status text, o_id bigint, o_session bigint, o_state text, o_quantity integer,
    o_expires_at timestamptz
) LANGUAGE plpgsql AS $$
DECLARE
    h sales_hold%ROWTYPE;
    v_status text := 'unchanged';
BEGIN
    SELECT * INTO h FROM sales_hold WHERE id = p_hold FOR UPDATE;
    IF NOT FOUND OR h.buyer <> p_buyer THEN
        v_status := 'refused';
    ELSIF h.status = 'active' THEN
        IF admit_end_holds(ARRAY[p_hold], 'released', p_now) THEN
            v_status := 'ended';
            h.status := 'released';
        ELSE
            v_status := 'refused';
        END IF;
    END IF;
    RETURN QUERY SELECT v_status, h.id, h.session_id, h.status::text, h.quantity, h.expires_at;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(END_HOLDS)
    op.execute(RELEASE)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS admit_release")
    op.execute("DROP FUNCTION IF EXISTS admit_end_holds")
