"""settlement with every party (issue 18, item 3; A1, OPS6, C4): agreements per party with
validity periods, runs per organiser and period, and the shares they settled

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import admit.core.db

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _organiser(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organiser_id"], ["organiser.id"], name=op.f(f"fk_{table}_organiser_id_organiser")
    )


def upgrade() -> None:
    op.create_table(
        "settlement_agreement",
        sa.Column("id", KEY, nullable=False),
        sa.Column("organiser_id", KEY, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("party", sa.String(length=40), nullable=False),
        sa.Column("outlet", sa.String(length=40), nullable=True),
        sa.Column("percent_bp", sa.Integer(), nullable=False),
        sa.Column("per_ticket", sa.Integer(), nullable=False),
        sa.Column("cadence", sa.String(length=10), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("created_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        _organiser("settlement_agreement"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_agreement")),
    )
    op.create_index(
        "ix_settlement_agreement_party",
        "settlement_agreement",
        ["organiser_id", "kind", "party"],
    )
    op.create_table(
        "settlement_run",
        sa.Column("id", KEY, nullable=False),
        sa.Column("organiser_id", KEY, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("created_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        _organiser("settlement_run"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_run")),
        sa.UniqueConstraint(
            "organiser_id",
            "period_start",
            "period_end",
            name=op.f("uq_settlement_run_organiser_id_period_start_period_end"),
        ),
    )
    op.create_table(
        "settlement_share",
        sa.Column("id", KEY, nullable=False),
        sa.Column("run_id", KEY, nullable=False),
        sa.Column("organiser_id", KEY, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("party", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("agreement_id", KEY, nullable=True),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("percent_bp", sa.Integer(), nullable=False),
        sa.Column("per_ticket", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(length=80), nullable=False),
        sa.Column("entry_ref", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["settlement_run.id"],
            name=op.f("fk_settlement_share_run_id_settlement_run"),
        ),
        _organiser("settlement_share"),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["settlement_agreement.id"],
            name=op.f("fk_settlement_share_agreement_id_settlement_agreement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_share")),
        sa.UniqueConstraint(
            "organiser_id",
            "kind",
            "party",
            "period_start",
            name=op.f("uq_settlement_share_organiser_id_kind_party_period_start"),
        ),
    )
    op.create_index("ix_settlement_share_run", "settlement_share", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_settlement_share_run", "settlement_share")
    op.drop_table("settlement_share")
    op.drop_table("settlement_run")
    op.drop_index("ix_settlement_agreement_party", "settlement_agreement")
    op.drop_table("settlement_agreement")
