"""who handed a counter refund back (issue 19, item 1: the till report)

A cash refund handed back at a counter leaves the clerk's drawer: the till report of their
shift subtracts it from the cash expected.

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-07 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0044"
down_revision: str | None = "0043"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payment_refund") as batch:
        batch.add_column(sa.Column("handed_by", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payment_refund") as batch:
        batch.drop_column("handed_by")
