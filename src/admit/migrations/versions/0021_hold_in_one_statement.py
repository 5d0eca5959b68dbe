"""a seat hold in one statement on PostgreSQL (issue 17, item 1)

``admit_hold(…)`` does in one call what ``admit.sales.holds`` did in about five statements:
the hold row (``ON CONFLICT`` on the buyer's idempotency key: a repeated key returns the first
hold), the buyer's per-person counter, the named seats, the GA areas' and the window quotas'
counter slices (``admit.core.sliced_counters``: a ``SKIP LOCKED`` pick from the home slice, a
rebalance when no slice has room), and the hold's counts — in the lock order every hold and
release keeps (buyer counter, seats, GA areas by id, quotas by id). A refusal is returned as
data (``o_status``, with the seats or area in ``o_detail``) and leaves nothing behind: the
work runs in a block with an exception handler (a subtransaction) that the refusal rolls back.
``admit.sales.hold_statement`` calls it and maps the answer; SQLite gets nothing (it keeps the
statements of ``admit.sales.holds``).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_SLICES = 16  # admit.core.sliced_counters.MAX_SLICES when this was written

# One counter slice take (``sliced_counters.take`` and ``_rebalance``), for one slice table:
# the slice counted on, or NULL when the counter has fewer than p_n left.
TAKE_SLICE = """
CREATE FUNCTION admit_take_{name}(p_counter bigint, p_home integer, p_n integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_slice integer;
    v_free bigint;
    v_slices integer[];
    v_count integer;
    v_home integer;
BEGIN
    UPDATE {table} SET held = held + p_n
     WHERE counter_id = p_counter
       AND slice = (SELECT s.slice FROM {table} s
                     WHERE s.counter_id = p_counter AND s.held + s.sold + p_n <= s.capacity
                     ORDER BY (s.slice + {max_slices} - p_home) % {max_slices}
                     LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING slice INTO v_slice;
    IF v_slice IS NOT NULL THEN
        RETURN v_slice;
    END IF;
    -- Every slice is short or busy: used up as last committed? (no lock taken)
    SELECT sum(capacity - held - sold) INTO v_free FROM {table} WHERE counter_id = p_counter;
    IF v_free IS NULL OR v_free < p_n THEN
        RETURN NULL;
    END IF;
    -- Lock every slice in slice order, then spread the free capacity evenly again with
    -- p_n more on the home slice, and count the p_n there.
    SELECT array_agg(l.slice ORDER BY l.slice), sum(l.capacity - l.held - l.sold)
      INTO v_slices, v_free
      FROM (SELECT s.slice, s.capacity, s.held, s.sold FROM {table} s
             WHERE s.counter_id = p_counter ORDER BY s.slice FOR UPDATE) l;
    IF v_free < p_n THEN
        RETURN NULL;
    END IF;
    v_count := cardinality(v_slices);
    v_home := p_home % v_count;
    UPDATE {table} t
       SET capacity = t.held + t.sold + (v_free - p_n) / v_count
                      + CASE WHEN u.n - 1 < (v_free - p_n) % v_count THEN 1 ELSE 0 END
                      + CASE WHEN t.slice = v_home THEN p_n ELSE 0 END,
           held = t.held + CASE WHEN t.slice = v_home THEN p_n ELSE 0 END
      FROM unnest(v_slices) WITH ORDINALITY AS u(slice, n)
     WHERE t.counter_id = p_counter AND t.slice = u.slice;
    RETURN v_home;
END $$
"""

SLICE_TABLES = (("ga_slice", "session_ga_slice"), ("quota_slice", "sales_window_quota_slice"))

HOLD = """
CREATE FUNCTION admit_hold(
    p_session bigint, p_window bigint, p_buyer text, p_channel text, p_outlet text,
    p_key text, p_now timestamptz, p_expires timestamptz, p_quantity integer,
    p_limit integer, p_seats text[], p_levels bigint[], p_level_quotas bigint[],
    p_quota_ids bigint[], p_quota_slices integer[], p_areas text[], p_area_counts integer[],
    OUT o_status text, OUT o_hold bigint, OUT o_session bigint, OUT o_hold_status text,
    OUT o_quantity integer, OUT o_expires timestamptz, OUT o_seats text[], OUT o_detail text[]
) LANGUAGE plpgsql AS $$
DECLARE
    v_hold bigint;
    v_usage bigint;
    v_map bigint;
    v_key text;
    v_seat bigint;
    v_ordinal integer;
    v_ordinals integer[] := '{}';
    v_ids bigint[] := '{}';
    v_keys text[] := '{}';
    v_seat_levels bigint[] := '{}';
    v_ga bigint;
    v_level bigint;
    v_slices integer;
    v_ga_ids bigint[] := '{}';
    v_ga_slices integer[] := '{}';
    v_ga_levels bigint[] := '{}';
    v_ga_codes text[] := '{}';
    v_ga_counts integer[] := '{}';
    v_quotas bigint[];
    v_quota_counts integer[];
    v_slice integer;
    c_ga bigint[] := '{}';
    c_quota bigint[] := '{}';
    c_slice integer[] := '{}';
    c_n integer[] := '{}';
    i integer;
BEGIN
    o_seats := '{}';
    BEGIN
        INSERT INTO sales_hold (session_id, window_id, buyer, channel, outlet, quantity,
                                idempotency_key, status, created_at, expires_at)
        VALUES (p_session, p_window, p_buyer, p_channel, p_outlet, p_quantity, p_key,
                'active', p_now, p_expires)
        ON CONFLICT (buyer, idempotency_key) DO NOTHING
        RETURNING id INTO v_hold;
        IF v_hold IS NULL THEN  -- the same key again: the first hold stands
            SELECT h.id, h.session_id, h.status, h.quantity, h.expires_at
              INTO o_hold, o_session, o_hold_status, o_quantity, o_expires
              FROM sales_hold h WHERE h.buyer = p_buyer AND h.idempotency_key = p_key;
            o_status := 'replayed';
            RETURN;
        END IF;

        -- The buyer's counter, within the per-person limit.
        INSERT INTO sales_buyer_usage AS u (session_id, buyer, held, bought)
        VALUES (p_session, p_buyer, p_quantity, 0)
        ON CONFLICT (session_id, buyer) DO UPDATE SET held = u.held + p_quantity
         WHERE u.held + u.bought + p_quantity <= p_limit
        RETURNING u.id INTO v_usage;
        IF v_usage IS NULL THEN
            o_status := 'limit';
            RAISE EXCEPTION USING ERRCODE = 'AH001';
        END IF;

        -- The seats: each key resolved on the map's unique (map, key) index; then each seat,
        -- in plan order (the lock order of every claim, best_claims' too), claimed when
        -- available, or held by a hold whose time has passed, at a level on sale. One row at a time, by unique
        -- keys: a plan cached for the function cannot then scan a session's seats.
        IF cardinality(p_seats) > 0 THEN
            SELECT seat_map_id INTO v_map FROM session_plan WHERE session_id = p_session;
            o_detail := '{}';
            FOREACH v_key IN ARRAY p_seats LOOP
                SELECT k.id, k.ordinal INTO v_seat, v_ordinal
                  FROM seat k WHERE k.seat_map_id = v_map AND k.key = v_key;
                IF FOUND THEN
                    v_ids := v_ids || v_seat;
                    v_ordinals := v_ordinals || v_ordinal;
                    v_keys := v_keys || v_key;
                ELSE
                    o_detail := o_detail || v_key;
                END IF;
            END LOOP;
            IF cardinality(o_detail) > 0 THEN
                o_status := 'unknown_seats';
                RAISE EXCEPTION USING ERRCODE = 'AH001';
            END IF;
            FOR i IN SELECT u.n FROM unnest(v_ordinals) WITH ORDINALITY AS u(o, n) ORDER BY u.o
            LOOP
                UPDATE session_seat s
                   SET status = 'held', hold_id = v_hold, hold_expires_at = p_expires
                 WHERE s.session_id = p_session AND s.seat_id = v_ids[i]
                   AND s.price_level_id = ANY (p_levels)
                   AND (s.status = 'available'
                        OR (s.status = 'held' AND s.hold_expires_at <= p_now))
                RETURNING s.price_level_id INTO v_level;
                IF FOUND THEN
                    o_seats := o_seats || v_keys[i];
                    v_seat_levels := v_seat_levels || v_level;
                ELSE
                    o_detail := o_detail || v_keys[i];
                END IF;
            END LOOP;
            IF cardinality(o_detail) > 0 THEN  -- the taken seats, in the order asked
                o_detail := ARRAY(SELECT w FROM unnest(p_seats) WITH ORDINALITY AS u(w, n)
                                   WHERE w = ANY (o_detail) ORDER BY n);
                o_status := 'seats_taken';
                RAISE EXCEPTION USING ERRCODE = 'AH001';
            END IF;
        END IF;

        -- The GA areas asked for (p_areas in code order), then their counters by id.
        FOR i IN 1 .. coalesce(cardinality(p_areas), 0) LOOP
            SELECT g.id, g.price_level_id, g.slices INTO v_ga, v_level, v_slices
              FROM session_ga g JOIN ga_area a ON a.id = g.ga_area_id
             WHERE g.session_id = p_session AND a.code = p_areas[i];
            IF NOT FOUND THEN
                o_status := 'no_area';
                o_detail := ARRAY[p_areas[i]];
                RAISE EXCEPTION USING ERRCODE = 'AH001';
            END IF;
            IF v_level IS NULL OR NOT v_level = ANY (p_levels) THEN
                o_status := 'area_not_sold';
                o_detail := ARRAY[p_areas[i]];
                RAISE EXCEPTION USING ERRCODE = 'AH001';
            END IF;
            v_ga_ids := v_ga_ids || v_ga;
            v_ga_slices := v_ga_slices || v_slices;
            v_ga_levels := v_ga_levels || v_level;
            v_ga_codes := v_ga_codes || p_areas[i];
            v_ga_counts := v_ga_counts || p_area_counts[i];
        END LOOP;
        FOR i IN SELECT u.n FROM unnest(v_ga_ids) WITH ORDINALITY AS u(id, n) ORDER BY u.id LOOP
            v_slice := admit_take_ga_slice(v_ga_ids[i], (v_hold % v_ga_slices[i])::integer,
                                           v_ga_counts[i]);
            IF v_slice IS NULL THEN
                o_status := 'ga_sold_out';
                o_detail := ARRAY[v_ga_codes[i], v_ga_counts[i]::text];
                RAISE EXCEPTION USING ERRCODE = 'AH001';
            END IF;
            c_ga := c_ga || v_ga_ids[i];
            c_quota := c_quota || NULL::bigint;
            c_slice := c_slice || v_slice;
            c_n := c_n || v_ga_counts[i];
        END LOOP;

        -- The window's quotas, by id: what the seats and places count on each.
        SELECT array_agg(t.quota ORDER BY t.quota), array_agg(t.n ORDER BY t.quota)
          INTO v_quotas, v_quota_counts
          FROM (SELECT lq.quota, sum(x.n)::integer AS n
                  FROM (SELECT l AS level, 1 AS n FROM unnest(v_seat_levels) AS l
                        UNION ALL
                        SELECT a.level, a.n FROM unnest(v_ga_levels, v_ga_counts) AS a(level, n)
                       ) x
                  JOIN unnest(p_levels, p_level_quotas) AS lq(level, quota)
                    ON lq.level = x.level
                 GROUP BY lq.quota) t;
        FOR i IN 1 .. coalesce(cardinality(v_quotas), 0) LOOP
            v_slices := coalesce(p_quota_slices[array_position(p_quota_ids, v_quotas[i])], 1);
            v_slice := admit_take_quota_slice(v_quotas[i], (v_hold % v_slices)::integer,
                                              v_quota_counts[i]);
            IF v_slice IS NULL THEN
                o_status := 'quota_short';
                RAISE EXCEPTION USING ERRCODE = 'AH001';
            END IF;
            c_ga := c_ga || NULL::bigint;
            c_quota := c_quota || v_quotas[i];
            c_slice := c_slice || v_slice;
            c_n := c_n || v_quota_counts[i];
        END LOOP;

        IF cardinality(c_n) > 0 THEN
            INSERT INTO sales_hold_count (hold_id, session_ga_id, quota_id, slice, quantity)
            SELECT v_hold, u.ga, u.quota, u.slice, u.n
              FROM unnest(c_ga, c_quota, c_slice, c_n) AS u(ga, quota, slice, n);
        END IF;
    EXCEPTION WHEN SQLSTATE 'AH001' THEN
        -- A refusal: everything the block wrote is undone; o_status says why.
        o_seats := '{}';
        RETURN;
    END;
    o_status := 'held';
    o_hold := v_hold;
    o_session := p_session;
    o_hold_status := 'active';
    o_quantity := p_quantity;
    o_expires := p_expires;
END $$
"""

FUNCTIONS = (
    "admit_hold(bigint, bigint, text, text, text, text, timestamptz, timestamptz, integer, "
    "integer, text[], bigint[], bigint[], bigint[], integer[], text[], integer[])",
    "admit_take_ga_slice(bigint, integer, integer)",
    "admit_take_quota_slice(bigint, integer, integer)",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table in SLICE_TABLES:
        op.execute(TAKE_SLICE.format(name=name, table=table, max_slices=MAX_SLICES))
    op.execute(HOLD)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
