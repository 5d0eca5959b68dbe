"""clients and client groups; reservations name one; holds take a reserved seat only for its
client's buyers (issue 27, item 2, INV3)

Tables ``clients`` and ``client_groups`` (with ``client_group_members``), and the buyers linked
to a client: ``client_customers`` (public accounts) and ``client_reps`` (staff). A seat's
free-text ``reserved_for`` becomes ``reserved_client_id`` or ``reserved_group_id``: one client
is made per distinct name (spaces trimmed) and the seats reserved under it point at it.

On PostgreSQL ``admit_hold`` takes the buyer's reservation keys (``p_clients``, ``p_groups``,
two more arguments, so the function is dropped and created again) and claims a reserved seat
only when its reservation has lapsed or names one of them; a refusal where a seat is reserved
for another client answers ``seat_reserved``. ``admit_end_holds`` gives a seat back to its
client (``reserved``) while the reservation runs on. Both are the definitions of migrations
0028 and 0026 with those conditions changed, read from them (a released migration is never
edited) and checked to hold the text replaced.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 16:30:00
"""

import importlib
from collections.abc import Sequence
from datetime import UTC, datetime
from types import ModuleType

import sqlalchemy as sa
from alembic import op

import admit.core.db
from admit.migrations.data_steps import run_copying_tables

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OLD_SIGNATURE = (
    "admit_hold(bigint, bigint, text, text, text, text, timestamptz, timestamptz, integer, "
    "integer, text[], bigint[], bigint[], bigint[], integer[], text[], integer[])"
)
NEW_SIGNATURE = OLD_SIGNATURE.removesuffix(")") + ", bigint[], bigint[])"

PARAMS_BEFORE = """p_areas text[], p_area_counts integer[],
    OUT o_status text"""
PARAMS_NOW = """p_areas text[], p_area_counts integer[],
    p_clients bigint[], p_groups bigint[],
    OUT o_status text"""

# 0028's condition → a seat free to this buyer (``admit.inventory.counts.free_seat``).
FREE_BEFORE = """                   AND (s.status = 'available'
                        OR (s.status = 'held' AND s.hold_expires_at <= p_now)
                        OR (s.status = 'reserved' AND s.reserved_until <= p_now))"""
FREE_NOW = """                   AND (s.status IN ('available', 'reserved')
                        OR (s.status = 'held' AND s.hold_expires_at <= p_now))
                   AND (NOT ((s.reserved_client_id IS NOT NULL
                              OR s.reserved_group_id IS NOT NULL)
                             AND (s.reserved_until IS NULL OR s.reserved_until > p_now))
                        OR s.reserved_client_id = ANY (p_clients)
                        OR s.reserved_group_id = ANY (p_groups))"""

# The refusal names ``seat_reserved`` when a seat not had is reserved (live) for another
# client (``admit.inventory.counts.reserved_for_another``); the seats this hold did claim
# are free to it, so they never count.
REFUSAL_BEFORE = """                o_status := 'seats_taken';
                RAISE EXCEPTION USING ERRCODE = 'AH001';"""
REFUSAL_NOW = """                IF EXISTS (
                    SELECT 1 FROM session_seat s
                     WHERE s.session_id = p_session AND s.seat_id = ANY (v_ids)
                       AND s.status NOT IN ('sold', 'blocked')
                       AND (s.reserved_client_id IS NOT NULL OR s.reserved_group_id IS NOT NULL)
                       AND (s.reserved_until IS NULL OR s.reserved_until > p_now)
                       AND NOT coalesce(s.reserved_client_id = ANY (p_clients), false)
                       AND NOT coalesce(s.reserved_group_id = ANY (p_groups), false)) THEN
                    o_status := 'seat_reserved';
                ELSE
                    o_status := 'seats_taken';
                END IF;
                RAISE EXCEPTION USING ERRCODE = 'AH001';"""

RELEASE_BEFORE = """    UPDATE session_seat SET status = 'available', hold_id = NULL, hold_expires_at = NULL
     WHERE hold_id = ANY(p_ids) AND status = 'held';"""
RELEASE_NOW = """    UPDATE session_seat
       SET status = CASE WHEN (reserved_client_id IS NOT NULL OR reserved_group_id IS NOT NULL)
                          AND (reserved_until IS NULL OR reserved_until > p_now)
                         THEN 'reserved' ELSE 'available' END,
           hold_id = NULL, hold_expires_at = NULL
     WHERE hold_id = ANY(p_ids) AND status = 'held';"""


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"admit.migrations.versions.{name}")


def _swap(text: str, before: str, now: str) -> str:
    assert text.count(before) == 1, "the function is not the one this migration replaces"
    return text.replace(before, now)


def _hold_0028() -> str:
    """``admit_hold`` as migration 0028 created it."""
    m = _module("0028_lapsed_reservations_holdable")
    hold: str = m._hold_0021().replace(m.HELD_BEFORE, m.HELD_NOW)
    return hold


def _hold_now() -> str:
    text = _swap(_hold_0028(), PARAMS_BEFORE, PARAMS_NOW)
    text = _swap(text, FREE_BEFORE, FREE_NOW)
    text = _swap(text, REFUSAL_BEFORE, REFUSAL_NOW)
    return text.replace("CREATE OR REPLACE FUNCTION admit_hold(", "CREATE FUNCTION admit_hold(")


def _end_holds_0026() -> str:
    end: str = _module("0026_hold_end_in_one_statement").END_HOLDS
    return end.replace(
        "CREATE FUNCTION admit_end_holds(", "CREATE OR REPLACE FUNCTION admit_end_holds("
    )


def _created() -> sa.Column[datetime]:
    return sa.Column("created_at", admit.core.db.UTCDateTime(timezone=True), nullable=False)


def _create_tables() -> None:
    op.create_table(
        "clients",
        sa.Column("id", KEY, nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
        sa.UniqueConstraint("name", name=op.f("uq_clients_name")),
    )
    op.create_table(
        "client_groups",
        sa.Column("id", KEY, nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_client_groups_name")),
    )
    for name, first, (second, other) in (
        ("client_group_members", ("group_id", "client_groups"), ("client_id", "clients")),
        ("client_customers", ("client_id", "clients"), ("customer_id", "customer")),
        ("client_reps", ("client_id", "clients"), ("staff_id", "staff_user")),
    ):
        op.create_table(
            name,
            sa.Column(first[0], KEY, nullable=False),
            sa.Column(second, KEY, nullable=False),
            sa.ForeignKeyConstraint(
                [first[0]],
                [f"{first[1]}.id"],
                name=op.f(f"fk_{name}_{first[0]}_{first[1]}"),
                ondelete="CASCADE",
            ),
            sa.ForeignKeyConstraint(
                [second],
                [f"{other}.id"],
                name=op.f(f"fk_{name}_{second}_{other}"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint(first[0], second, name=op.f(f"pk_{name}")),
        )
        op.create_index(op.f(f"ix_{name}_{second}"), name, [second], unique=False)


clients = sa.table(
    "clients",
    sa.column("id", sa.BigInteger()),
    sa.column("name", sa.String()),
    sa.column("created_at", admit.core.db.UTCDateTime(timezone=True)),
)
client_groups = sa.table("client_groups", sa.column("id", sa.BigInteger()), sa.column("name"))
seats = sa.table(
    "session_seat",
    sa.column("id", sa.BigInteger()),
    sa.column("reserved_for", sa.String()),
    sa.column("reserved_client_id", sa.BigInteger()),
    sa.column("reserved_group_id", sa.BigInteger()),
)


def _clients_from_names() -> None:
    """One client per distinct reserved-for name; the seats point at theirs."""
    bind = op.get_bind()
    names = sorted(
        {
            " ".join(str(n).split())
            for (n,) in bind.execute(
                sa.select(seats.c.reserved_for).where(seats.c.reserved_for.is_not(None)).distinct()
            )
        }
        - {""}
    )
    if not names:
        return
    now = datetime.now(UTC)
    bind.execute(clients.insert(), [{"name": n, "created_at": now} for n in names])
    ids = dict(bind.execute(sa.select(clients.c.name, clients.c.id)).all())
    for raw, seat_id in bind.execute(
        sa.select(seats.c.reserved_for, seats.c.id).where(seats.c.reserved_for.is_not(None))
    ).all():
        name = " ".join(str(raw).split())
        if name:
            bind.execute(
                seats.update().where(seats.c.id == seat_id).values(reserved_client_id=ids[name])
            )


def _names_from_clients() -> None:
    bind = op.get_bind()
    for column, table in (
        (seats.c.reserved_client_id, clients),
        (seats.c.reserved_group_id, client_groups),
    ):
        bind.execute(
            seats.update()
            .where(column.is_not(None))
            .values(
                reserved_for=sa.select(table.c.name).where(table.c.id == column).scalar_subquery()
            )
        )


def _add_columns() -> None:
    with op.batch_alter_table("session_seat", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reserved_client_id", KEY, nullable=True))
        batch_op.add_column(sa.Column("reserved_group_id", KEY, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_session_seat_reserved_client_id_clients"),
            "clients",
            ["reserved_client_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_session_seat_reserved_group_id_client_groups"),
            "client_groups",
            ["reserved_group_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            "one_reservation", "reserved_client_id IS NULL OR reserved_group_id IS NULL"
        )


def _drop_names() -> None:
    with op.batch_alter_table("session_seat", schema=None) as batch_op:
        batch_op.drop_column("reserved_for")


def _drop_columns() -> None:
    with op.batch_alter_table("session_seat", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_session_seat_one_reservation"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_session_seat_reserved_group_id_client_groups"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_session_seat_reserved_client_id_clients"), type_="foreignkey"
        )
        batch_op.drop_column("reserved_group_id")
        batch_op.drop_column("reserved_client_id")


def upgrade() -> None:
    _create_tables()
    run_copying_tables(_add_columns)
    _clients_from_names()
    run_copying_tables(_drop_names)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION {OLD_SIGNATURE}")
    op.execute(_hold_now())
    op.execute(_swap(_end_holds_0026(), RELEASE_BEFORE, RELEASE_NOW))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_end_holds_0026())
        op.execute(f"DROP FUNCTION {NEW_SIGNATURE}")
        op.execute(_hold_0028().replace("CREATE OR REPLACE FUNCTION", "CREATE FUNCTION"))
    with op.batch_alter_table("session_seat", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reserved_for", sa.String(120), nullable=True))
    _names_from_clients()
    run_copying_tables(_drop_columns)
    for name in ("client_reps", "client_customers", "client_group_members"):
        op.drop_table(name)
    op.drop_table("client_groups")
    op.drop_table("clients")
