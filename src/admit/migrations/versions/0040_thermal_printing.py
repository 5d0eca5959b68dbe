"""thermal ticket printing (issue 19, item 3; S7, G16): printers at outlet terminals, thermal
sessions, each ticket's production status, the print log, print exceptions, and the codes
retired when a ticket was reissued

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import admit.core.db

revision: str = "0040"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = admit.core.db.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str, target_column: str = "id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.{target_column}"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "ticket_retired_code",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", KEY, nullable=False),
        sa.Column("session_id", KEY, nullable=False),
        sa.Column("reprint", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("retired_at", WHEN, nullable=False),
        _fk("ticket_retired_code", "ticket_id", "ticket"),
        _fk("ticket_retired_code", "session_id", "session"),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_ticket_retired_code")),
    )
    op.create_index(op.f("ix_ticket_retired_code_ticket_id"), "ticket_retired_code", ["ticket_id"])
    op.create_index(
        op.f("ix_ticket_retired_code_session_id"), "ticket_retired_code", ["session_id"]
    )
    op.create_table(
        "production_printer",
        sa.Column("id", KEY, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("outlet", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("thermal", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("production_printer", "outlet", "sales_outlet", "code"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_production_printer")),
        sa.UniqueConstraint("code", name=op.f("uq_production_printer_code")),
    )
    op.create_index(op.f("ix_production_printer_outlet"), "production_printer", ["outlet"])
    op.create_table(
        "production_thermal_session",
        sa.Column("session_id", KEY, nullable=False),
        sa.Column("marked_at", WHEN, nullable=False),
        _fk("production_thermal_session", "session_id", "session"),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_production_thermal_session")),
    )
    op.create_table(
        "production_ticket",
        sa.Column("ticket_id", KEY, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("printer_id", KEY, nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        _fk("production_ticket", "ticket_id", "ticket"),
        _fk("production_ticket", "printer_id", "production_printer"),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_production_ticket")),
    )
    op.create_table(
        "production_print_log",
        sa.Column("id", KEY, nullable=False),
        sa.Column("ticket_id", KEY, nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("printer_id", KEY, nullable=False),
        sa.Column("job", sa.String(length=8), nullable=False),
        sa.Column("staff", sa.String(length=80), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("at", WHEN, nullable=False),
        _fk("production_print_log", "ticket_id", "ticket"),
        _fk("production_print_log", "printer_id", "production_printer"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_production_print_log")),
    )
    op.create_index(
        op.f("ix_production_print_log_ticket_id"), "production_print_log", ["ticket_id"]
    )
    op.create_index(
        op.f("ix_production_print_log_printer_id"), "production_print_log", ["printer_id"]
    )
    op.create_table(
        "production_print_exception",
        sa.Column("id", KEY, nullable=False),
        sa.Column("ticket_id", KEY, nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("printer_id", KEY, nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("resolution", sa.String(length=12), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("opened_at", WHEN, nullable=False),
        sa.Column("resolved_at", WHEN, nullable=True),
        sa.Column("resolved_by", sa.String(length=80), nullable=True),
        _fk("production_print_exception", "ticket_id", "ticket"),
        _fk("production_print_exception", "printer_id", "production_printer"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_production_print_exception")),
    )
    op.create_index(
        op.f("ix_production_print_exception_ticket_id"),
        "production_print_exception",
        ["ticket_id"],
    )
    op.create_index(
        "uq_print_exception_open",
        "production_print_exception",
        ["ticket_id"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_table("production_print_exception")
    op.drop_table("production_print_log")
    op.drop_table("production_ticket")
    op.drop_table("production_thermal_session")
    op.drop_table("production_printer")
    op.drop_table("ticket_retired_code")
