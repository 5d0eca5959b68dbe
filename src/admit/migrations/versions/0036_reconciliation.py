"""one reconciliation for every counterparty (issue 18, item 4; C5, A2, A3): the cinemas'
runs and exceptions move to recon_run / recon_exception, keyed by a counterparty
(``cinema:<id>``, ``gateway:<name>``), where the payment gateways' statements are reconciled
too; ledger entries get an index by time alone (a gateway's day across organisers)

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import admit.core.db

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = admit.core.db.UTCDateTime(timezone=True)


def _reset_sequence(table: str) -> None:
    """Rows copied with their ids: PostgreSQL's sequence must start after them."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )


def upgrade() -> None:
    op.create_table(
        "recon_run",
        sa.Column("id", BIG, nullable=False),
        sa.Column("counterparty", sa.String(length=60), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ran_at", AT, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("platform_total", sa.BigInteger(), nullable=False),
        sa.Column("partner_total", sa.BigInteger(), nullable=False),
        sa.Column("open_exceptions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_run")),
        sa.UniqueConstraint("counterparty", "day", name=op.f("uq_recon_run_counterparty_day")),
    )
    op.create_table(
        "recon_exception",
        sa.Column("id", BIG, nullable=False),
        sa.Column("run_id", BIG, nullable=False),
        sa.Column("counterparty", sa.String(length=60), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("line_kind", sa.String(length=10), nullable=False),
        sa.Column("platform_amount", sa.BigInteger(), nullable=True),
        sa.Column("partner_amount", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.Column("resolved_at", AT, nullable=True),
        sa.Column("adjustment", sa.BigInteger(), nullable=True),
        sa.Column("created_at", AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["recon_run.id"], name=op.f("fk_recon_exception_run_id_recon_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_exception")),
        sa.UniqueConstraint(
            "counterparty",
            "day",
            "ref",
            "kind",
            name=op.f("uq_recon_exception_counterparty_day_ref_kind"),
        ),
    )
    op.create_index("ix_recon_exception_run_id", "recon_exception", ["run_id"])
    op.create_index("ix_recon_exception_status", "recon_exception", ["status", "id"])
    op.create_index("ix_ledger_entry_at", "ledger_entry", ["at"])
    op.execute(
        "INSERT INTO recon_run (id, counterparty, day, ran_at, status, source, lines, matched,"
        " platform_total, partner_total, open_exceptions)"
        " SELECT id, 'cinema:' || CAST(cinema_id AS VARCHAR(20)), day, ran_at, status,"
        " 'fetched', 0, matched, platform_total, partner_total, open_exceptions"
        " FROM partner_recon_run"
    )
    op.execute(
        "INSERT INTO recon_exception (id, run_id, counterparty, day, ref, kind, line_kind,"
        " platform_amount, partner_amount, status, note, resolved_by, resolved_at, created_at)"
        " SELECT id, run_id, 'cinema:' || CAST(cinema_id AS VARCHAR(20)), day, order_no, kind,"
        " 'sale', platform_amount, partner_amount, status, note, resolved_by, resolved_at,"
        " created_at FROM partner_recon_exception"
    )
    _reset_sequence("recon_run")
    _reset_sequence("recon_exception")
    op.drop_index("ix_partner_recon_exception_run_id", "partner_recon_exception")
    op.drop_table("partner_recon_exception")
    op.drop_table("partner_recon_run")


def downgrade() -> None:
    """Back to the cinemas' own tables: a gateway's runs and exceptions have no place there
    and are dropped with the new tables."""
    op.create_table(
        "partner_recon_run",
        sa.Column("id", BIG, nullable=False),
        sa.Column("cinema_id", BIG, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ran_at", AT, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("platform_total", sa.Integer(), nullable=False),
        sa.Column("partner_total", sa.Integer(), nullable=False),
        sa.Column("open_exceptions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cinema_id"],
            ["partner_cinema.id"],
            name=op.f("fk_partner_recon_run_cinema_id_partner_cinema"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_recon_run")),
        sa.UniqueConstraint("cinema_id", "day", name=op.f("uq_partner_recon_run_cinema_id_day")),
    )
    op.create_table(
        "partner_recon_exception",
        sa.Column("id", BIG, nullable=False),
        sa.Column("run_id", BIG, nullable=False),
        sa.Column("cinema_id", BIG, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("platform_amount", sa.Integer(), nullable=True),
        sa.Column("partner_amount", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.Column("resolved_at", AT, nullable=True),
        sa.Column("created_at", AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["cinema_id"],
            ["partner_cinema.id"],
            name=op.f("fk_partner_recon_exception_cinema_id_partner_cinema"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["partner_recon_run.id"],
            name=op.f("fk_partner_recon_exception_run_id_partner_recon_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_recon_exception")),
        sa.UniqueConstraint(
            "cinema_id",
            "day",
            "order_no",
            "kind",
            name=op.f("uq_partner_recon_exception_cinema_id_day_order_no_kind"),
        ),
    )
    op.create_index("ix_partner_recon_exception_run_id", "partner_recon_exception", ["run_id"])
    cinema = "CAST(SUBSTR(counterparty, 8) AS INTEGER)"
    op.execute(
        "INSERT INTO partner_recon_run (id, cinema_id, day, ran_at, status, matched,"
        " platform_total, partner_total, open_exceptions)"
        f" SELECT id, {cinema}, day, ran_at, status, matched, platform_total, partner_total,"
        " open_exceptions FROM recon_run WHERE counterparty LIKE 'cinema:%'"
    )
    op.execute(
        "INSERT INTO partner_recon_exception (id, run_id, cinema_id, day, order_no, kind,"
        " platform_amount, partner_amount, status, note, resolved_by, resolved_at, created_at)"
        f" SELECT id, run_id, {cinema}, day, ref, kind, platform_amount, partner_amount,"
        " status, note, resolved_by, resolved_at, created_at FROM recon_exception"
        " WHERE counterparty LIKE 'cinema:%'"
    )
    _reset_sequence("partner_recon_run")
    _reset_sequence("partner_recon_exception")
    op.drop_index("ix_ledger_entry_at", "ledger_entry")
    op.drop_index("ix_recon_exception_status", "recon_exception")
    op.drop_index("ix_recon_exception_run_id", "recon_exception")
    op.drop_table("recon_exception")
    op.drop_table("recon_run")
