"""channel systems' keys, per-channel rate budgets, outlet terminals (issue 19, items 4-5)

An API key may be bound to a sales channel and an outlet (a kiosk's, an agent's or a
contract client's system); each channel may have a rate budget of its own; each outlet
terminal's last heartbeat is kept so operators see which are online.

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-07 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_client") as batch:
        batch.add_column(sa.Column("channel", sa.String(20), nullable=True))
        batch.add_column(sa.Column("outlet", sa.String(40), nullable=True))
    op.create_table(
        "channel_budget",
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("calls_per_minute", sa.Integer(), nullable=False),
        sa.Column("burst", sa.Integer(), nullable=False),
        sa.Column("orders_per_minute", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel"],
            ["sales_channel.code"],
            name="fk_channel_budget_channel_sales_channel",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel", name="pk_channel_budget"),
    )
    op.create_table(
        "channel_outlet_terminal",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outlet", sa.String(40), nullable=False),
        sa.Column("terminal", sa.String(60), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_by", sa.String(80), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outlet"],
            ["sales_outlet.code"],
            name="fk_channel_outlet_terminal_outlet_sales_outlet",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_channel_outlet_terminal"),
        sa.UniqueConstraint(
            "outlet", "terminal", name="uq_channel_outlet_terminal_outlet_terminal"
        ),
    )


def downgrade() -> None:
    op.drop_table("channel_outlet_terminal")
    op.drop_table("channel_budget")
    with op.batch_alter_table("api_client") as batch:
        batch.drop_column("outlet")
        batch.drop_column("channel")
