"""passes are sold and admitted (issue 27, item 1; INV5): a hold, its order's line and the
ticket name the pass they are for; a seatless pass has a stock; a seatless pass's line has no
price level

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("product", sa.Column("stock", sa.Integer(), nullable=True))
    op.add_column("sales_hold", sa.Column("product_id", sa.Integer(), nullable=True))
    op.create_index("ix_sales_hold_product_id", "sales_hold", ["product_id"])
    op.add_column("sales_order_line", sa.Column("product_id", sa.Integer(), nullable=True))
    op.add_column("ticket", sa.Column("product_id", sa.Integer(), nullable=True))
    op.create_index("ix_ticket_product_id", "ticket", ["product_id"])
    with op.batch_alter_table("sales_order_line") as batch_op:
        batch_op.alter_column("price_level_id", existing_type=BIG, nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("sales_order_line") as batch_op:
        batch_op.alter_column("price_level_id", existing_type=BIG, nullable=False)
    op.drop_index("ix_ticket_product_id", "ticket")
    op.drop_column("ticket", "product_id")
    op.drop_column("sales_order_line", "product_id")
    op.drop_index("ix_sales_hold_product_id", "sales_hold")
    op.drop_column("sales_hold", "product_id")
    op.drop_column("product", "stock")
