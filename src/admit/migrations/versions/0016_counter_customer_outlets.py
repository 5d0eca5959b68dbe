"""counter customer outlets (security issue 30, item 2)

A customer opened at a counter records the outlet (its code) whose clerk opened the account:
outlet-scoped clerks reach only the customers of their outlets. Accounts opened at a counter
before this change keep no outlet (only globally granted staff reach them).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("customer", sa.Column("registered_outlet", sa.String(length=40), nullable=True))
    op.create_index(
        op.f("ix_customer_registered_outlet"), "customer", ["registered_outlet"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_customer_registered_outlet"), table_name="customer")
    with op.batch_alter_table("customer") as batch_op:
        batch_op.drop_column("registered_outlet")
