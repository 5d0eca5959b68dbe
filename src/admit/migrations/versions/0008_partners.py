"""cinema partners: cinemas sold through their own box-office systems, their halls and
sessions, the platform's locks at the cinema, reconciliation runs and exceptions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import admit.core.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partner_cinema",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("venue_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "organiser_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("synced_at", admit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organiser_id"],
            ["organiser.id"],
            name=op.f("fk_partner_cinema_organiser_id_organiser"),
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_partner_cinema_venue_id_venue")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_cinema")),
        sa.UniqueConstraint("system", "code", name=op.f("uq_partner_cinema_system_code")),
    )
    op.create_table(
        "partner_hall",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "cinema_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column(
            "seat_map_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("seats", sa.JSON(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cinema_id"],
            ["partner_cinema.id"],
            name=op.f("fk_partner_hall_cinema_id_partner_cinema"),
        ),
        sa.ForeignKeyConstraint(
            ["seat_map_id"], ["seat_map.id"], name=op.f("fk_partner_hall_seat_map_id_seat_map")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_hall")),
        sa.UniqueConstraint("cinema_id", "code", name=op.f("uq_partner_hall_cinema_id_code")),
    )
    op.create_table(
        "partner_recon_run",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "cinema_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ran_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
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
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "cinema_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("platform_amount", sa.Integer(), nullable=True),
        sa.Column("partner_amount", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.Column("resolved_at", admit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
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
    with op.batch_alter_table("partner_recon_exception", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_recon_exception_run_id"), ["run_id"], unique=False
        )
    op.create_table(
        "partner_session",
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "cinema_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("hall_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("plan_checked_at", admit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cinema_id"],
            ["partner_cinema.id"],
            name=op.f("fk_partner_session_cinema_id_partner_cinema"),
        ),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["partner_hall.id"], name=op.f("fk_partner_session_hall_id_partner_hall")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["session.id"], name=op.f("fk_partner_session_session_id_session")
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_partner_session")),
        sa.UniqueConstraint("cinema_id", "code", name=op.f("uq_partner_session_cinema_id_code")),
    )
    op.create_table(
        "partner_lock",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hold_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "cinema_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("lock_id", sa.String(length=64), nullable=False),
        sa.Column("seats", sa.JSON(), nullable=False),
        sa.Column("expires_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=True),
        sa.Column("payment_number", sa.String(length=32), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("order_code", sa.String(length=64), nullable=True),
        sa.Column("print_no", sa.String(length=32), nullable=True),
        sa.Column("verify_code", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("confirm_by", admit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", admit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", admit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cinema_id"],
            ["partner_cinema.id"],
            name=op.f("fk_partner_lock_cinema_id_partner_cinema"),
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["sales_hold.id"], name=op.f("fk_partner_lock_hold_id_sales_hold")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["session.id"], name=op.f("fk_partner_lock_session_id_session")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_lock")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_partner_lock_hold_id")),
        sa.UniqueConstraint("ref", name=op.f("uq_partner_lock_ref")),
    )
    with op.batch_alter_table("partner_lock", schema=None) as batch_op:
        batch_op.create_index(
            "ix_partner_lock_cinema_confirmed", ["cinema_id", "confirmed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_partner_lock_order_number"), ["order_number"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("partner_lock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_lock_order_number"))
        batch_op.drop_index("ix_partner_lock_cinema_confirmed")
    op.drop_table("partner_lock")
    op.drop_table("partner_session")
    with op.batch_alter_table("partner_recon_exception", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_recon_exception_run_id"))
    op.drop_table("partner_recon_exception")
    op.drop_table("partner_recon_run")
    op.drop_table("partner_hall")
    op.drop_table("partner_cinema")
