"""an order in one statement on PostgreSQL (issue 17, item 1)

``admit_order(…)`` turns a live hold into an order in one call, where ``admit.sales.orders``
takes about nine statements: it locks the hold, finds the buyer's order under the same
idempotency key (a replay: returned as it is) or the hold's own, checks that the lines name
exactly the seats and places the hold has, prices each line by level × ticket type, and inserts
the order and its lines; it answers with the order's row and its lines. Lines naming ticket
holders (real-name sales) are not for it: their checks and per-document counters stay in
Python. A refusal of any kind (the hold gone or lapsed, an order already, lines that do not
match, a missing price, two currencies, a real-name window) is answered ``refused`` having
written nothing — it writes only once every check has passed — and the caller lets the
statements of ``admit.sales.orders`` find and explain it in the same transaction. SQLite gets
nothing.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER = """
CREATE FUNCTION admit_order(
    p_hold bigint, p_buyer text, p_key text, p_number text, p_now timestamptz,
    p_seats text[], p_areas text[], p_types text[]
) RETURNS TABLE (
    o_status text, o_id bigint, o_number text, o_session bigint, o_state text,
    o_total integer, o_currency text, o_pay_by timestamptz, o_paid_at timestamptz,
    o_pickup text, l_seats text[], l_areas text[], l_types text[], l_amounts integer[],
    l_holders text[]
) LANGUAGE plpgsql AS $$
DECLARE
    h sales_hold%ROWTYPE;
    v_order bigint;
    v_others integer;
    v_seats text[];
    v_levels bigint[];
    v_areas text[] := '{}';
    v_area_levels bigint[] := '{}';
    v_placed text[] := '{}';
    v_lines integer;
    v_priced integer;
    v_currencies integer;
    v_currency text;
    v_total bigint;
    v_status text := 'ordered';
BEGIN
    SELECT * INTO h FROM sales_hold WHERE id = p_hold FOR UPDATE;
    IF NOT FOUND OR h.buyer <> p_buyer THEN
        RETURN QUERY SELECT 'refused'::text, NULL::bigint, NULL::text, NULL::bigint, NULL::text,
            NULL::integer, NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::text,
            NULL::text[], NULL::text[], NULL::text[], NULL::integer[], NULL::text[];
        RETURN;
    END IF;
    -- Read after the lock: a retry under the same key that ordered while this one waited
    -- is seen (and returned); so is an order of this hold under another key (refused).
    SELECT max(o.id) FILTER (WHERE o.buyer = p_buyer AND o.idempotency_key = p_key), count(*)
      INTO v_order, v_others
      FROM sales_order o
     WHERE (o.buyer = p_buyer AND o.idempotency_key = p_key) OR o.hold_id = p_hold;
    IF v_order IS NOT NULL THEN
        v_status := 'replayed';
    ELSIF h.status <> 'active' OR h.expires_at <= p_now OR v_others > 0 THEN
        v_status := 'refused';
    ELSIF (SELECT w.real_name_required FROM sales_window w WHERE w.id = h.window_id) THEN
        v_status := 'refused';
    ELSE
        SELECT coalesce(array_agg(s.key ORDER BY s.key), '{}'),
               coalesce(array_agg(ss.price_level_id ORDER BY s.key), '{}')
          INTO v_seats, v_levels
          FROM session_seat ss JOIN seat s ON s.id = ss.seat_id
         WHERE ss.hold_id = p_hold AND ss.status = 'held' AND ss.price_level_id IS NOT NULL;
        IF cardinality(v_seats) < h.quantity THEN  -- standing places too
            SELECT coalesce(array_agg(a.code ORDER BY a.code), '{}'),
                   coalesce(array_agg(g.price_level_id ORDER BY a.code), '{}')
              INTO v_areas, v_area_levels
              FROM (SELECT DISTINCT hc.session_ga_id FROM sales_hold_count hc
                     WHERE hc.hold_id = p_hold AND hc.session_ga_id IS NOT NULL) held
              JOIN session_ga g ON g.id = held.session_ga_id
              JOIN ga_area a ON a.id = g.ga_area_id;
            v_placed := ARRAY(
                SELECT a.code
                  FROM sales_hold_count hc
                  JOIN session_ga g ON g.id = hc.session_ga_id
                  JOIN ga_area a ON a.id = g.ga_area_id
                  CROSS JOIN generate_series(1, hc.quantity)
                 WHERE hc.hold_id = p_hold
                 ORDER BY a.code);
        END IF;
        IF v_seats IS DISTINCT FROM
               ARRAY(SELECT x FROM unnest(p_seats) x WHERE x IS NOT NULL ORDER BY x)
           OR v_placed IS DISTINCT FROM
               ARRAY(SELECT x FROM unnest(p_areas) x WHERE x IS NOT NULL ORDER BY x) THEN
            v_status := 'refused';
        ELSE
            SELECT count(*), count(p.amount), sum(p.amount), count(DISTINCT p.currency),
                   min(p.currency)
              INTO v_lines, v_priced, v_total, v_currencies, v_currency
              FROM unnest(p_seats, p_areas, p_types) AS l(seat, area, ttype)
              LEFT JOIN LATERAL (SELECT * FROM price p
                   WHERE p.price_level_id = CASE WHEN l.seat IS NOT NULL
                             THEN v_levels[array_position(v_seats, l.seat)]
                             ELSE v_area_levels[array_position(v_areas, l.area)] END
                     AND p.ticket_type = l.ttype
                   LIMIT 1) p ON true;  -- unique: a look-up per line, never a scan
            IF v_priced < v_lines OR v_currencies <> 1 THEN
                v_status := 'refused';
            END IF;
        END IF;
    END IF;
    IF v_status = 'refused' THEN
        RETURN QUERY SELECT 'refused'::text, NULL::bigint, NULL::text, NULL::bigint, NULL::text,
            NULL::integer, NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::text,
            NULL::text[], NULL::text[], NULL::text[], NULL::integer[], NULL::text[];
        RETURN;
    END IF;
    IF v_status = 'ordered' THEN
        INSERT INTO sales_order (number, hold_id, session_id, buyer, channel, status, total,
                                 currency, idempotency_key, created_at, pay_by)
        VALUES (p_number, p_hold, h.session_id, p_buyer, h.channel, 'pending_payment',
                v_total, v_currency, p_key, p_now, h.expires_at)
        RETURNING id INTO v_order;
        INSERT INTO sales_order_line (order_id, seat_key, area_code, price_level_id,
                                     ticket_type, amount)
        SELECT v_order, l.seat, l.area, p.price_level_id, l.ttype, p.amount
          FROM unnest(p_seats, p_areas, p_types) WITH ORDINALITY AS l(seat, area, ttype, n)
          CROSS JOIN LATERAL (SELECT * FROM price p
                 WHERE p.price_level_id = CASE WHEN l.seat IS NOT NULL
                           THEN v_levels[array_position(v_seats, l.seat)]
                           ELSE v_area_levels[array_position(v_areas, l.area)] END
                   AND p.ticket_type = l.ttype
                 LIMIT 1) p
         ORDER BY l.n;
    END IF;
    RETURN QUERY
    SELECT v_status, o.id, o.number::text, o.session_id, o.status::text, o.total,
           o.currency::text, o.pay_by, o.paid_at, o.pickup_code::text,
           lines.seats, lines.areas, lines.types, lines.amounts, lines.holders
      FROM sales_order o,
           LATERAL (SELECT array_agg(ln.seat_key::text ORDER BY ln.id) AS seats,
                           array_agg(ln.area_code::text ORDER BY ln.id) AS areas,
                           array_agg(ln.ticket_type::text ORDER BY ln.id) AS types,
                           array_agg(ln.amount ORDER BY ln.id) AS amounts,
                           array_agg(ln.holder_name::text ORDER BY ln.id) AS holders
                      FROM sales_order_line ln WHERE ln.order_id = o.id) lines
     WHERE o.id = v_order;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(ORDER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS admit_order")
