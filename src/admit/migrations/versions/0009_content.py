"""storefront content: announcements and recommended sessions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import admit.core.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "content_announcement",
        sa.Column("id", _ID, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link_url", sa.String(length=400), nullable=False),
        sa.Column("starts_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", admit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("created_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_announcement")),
    )
    with op.batch_alter_table("content_announcement", schema=None) as batch_op:
        batch_op.create_index(
            "ix_content_announcement_showing", ["published", "starts_at"], unique=False
        )
    op.create_table(
        "content_recommendation",
        sa.Column("id", _ID, nullable=False),
        sa.Column("session_id", _ID, nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["session.id"],
            name=op.f("fk_content_recommendation_session_id_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_recommendation")),
        sa.UniqueConstraint("session_id", name=op.f("uq_content_recommendation_session_id")),
    )


def downgrade() -> None:
    op.drop_table("content_recommendation")
    with op.batch_alter_table("content_announcement", schema=None) as batch_op:
        batch_op.drop_index("ix_content_announcement_showing")
    op.drop_table("content_announcement")
