"""quota and GA counters split into slices (buyers of one on-sale queued on one row each)

Each existing counter becomes one slice holding its capacity, held and sold as they are; new
counters get more slices (``admit.core.sliced_counters.slices_for``). The counters' own
``held``/``sold`` columns go: they are the sums of the slices now. Columns are dropped with
``ALTER TABLE … DROP COLUMN`` on both databases (SQLite ≥ 3.35), not by copying the table,
which SQLite's foreign keys would refuse while hold counts point at it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
COUNTERS = (
    ("session_ga", "session_ga_slice", "capacity"),
    ("sales_window_quota", "sales_window_quota_slice", "quota"),
)


def upgrade() -> None:
    for counter, slices, total in COUNTERS:
        op.create_table(
            slices,
            sa.Column("counter_id", KEY, nullable=False),
            sa.Column("slice", sa.SmallInteger(), nullable=False),
            sa.Column("capacity", sa.Integer(), nullable=False),
            sa.Column("held", sa.Integer(), nullable=False),
            sa.Column("sold", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                ["counter_id"],
                [f"{counter}.id"],
                name=op.f(f"fk_{slices}_counter_id_{counter}"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("counter_id", "slice", name=op.f(f"pk_{slices}")),
        )
        op.execute(
            f"INSERT INTO {slices} (counter_id, slice, capacity, held, sold) "
            f"SELECT id, 0, {total}, held, sold FROM {counter}"
        )
        op.add_column(
            counter, sa.Column("slices", sa.SmallInteger(), nullable=False, server_default="1")
        )
        op.execute(f"ALTER TABLE {counter} DROP COLUMN held")
        op.execute(f"ALTER TABLE {counter} DROP COLUMN sold")
    op.add_column(
        "sales_hold_count",
        sa.Column("slice", sa.SmallInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.execute("ALTER TABLE sales_hold_count DROP COLUMN slice")
    for counter, slices, _ in COUNTERS:
        for column in ("held", "sold"):
            op.add_column(
                counter, sa.Column(column, sa.Integer(), nullable=False, server_default="0")
            )
            op.execute(
                f"UPDATE {counter} SET {column} = (SELECT COALESCE(SUM({column}), 0) "
                f"FROM {slices} WHERE {slices}.counter_id = {counter}.id)"
            )
        op.execute(f"ALTER TABLE {counter} DROP COLUMN slices")
        op.drop_table(slices)
