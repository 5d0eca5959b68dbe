"""low-stock alerts and the staff notice feed (issue 27, item 6; G7)

``stock_alert_rule`` holds a session's own alert levels; ``stock_alert`` one row per level
raised for a session × price level — its key makes each crossing alert once, and the row goes
when stock is back above the level. ``staff_notice`` is the feed staff read at
``GET /admin/notices``.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from admit.core.db import BigIntKey, UTCDateTime

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stock_alert_rule",
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("by_level", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["session.id"],
            name=op.f("fk_stock_alert_rule_session_id_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_stock_alert_rule")),
    )
    op.create_table(
        "stock_alert",
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "price_level_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("raised_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["session.id"],
            name=op.f("fk_stock_alert_session_id_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["price_level_id"],
            ["price_level.id"],
            name=op.f("fk_stock_alert_price_level_id_price_level"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "session_id", "price_level_id", "level", name=op.f("pk_stock_alert")
        ),
    )
    op.create_table(
        "staff_notice",
        sa.Column("id", BigIntKey, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("organiser_id", sa.BigInteger(), nullable=True),
        sa.Column("subject_type", sa.String(40), nullable=False),
        sa.Column("subject_id", sa.String(80), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_notice")),
    )
    op.create_index("ix_staff_notice_organiser", "staff_notice", ["organiser_id", "id"])


def downgrade() -> None:
    op.drop_table("staff_notice")
    op.drop_table("stock_alert")
    op.drop_table("stock_alert_rule")
