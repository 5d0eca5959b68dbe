"""counter pickups: paid tickets handed over once per order after an ID check, and each
person's pickups per local day for the daily limit (issue 27, item 7)

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sales_pickup",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_key", sa.String(64), nullable=False),
        sa.Column("outlet", sa.String(40), nullable=False),
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_order.id"], name="fk_sales_pickup_order_id_sales_order"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_user.id"], name="fk_sales_pickup_staff_id_staff_user"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sales_pickup"),
        sa.UniqueConstraint("order_id", name="uq_sales_pickup_order_id"),
    )
    op.create_table(
        "sales_pickup_day",
        sa.Column("person_key", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("person_key", "day", name="pk_sales_pickup_day"),
    )


def downgrade() -> None:
    op.drop_table("sales_pickup_day")
    op.drop_table("sales_pickup")
