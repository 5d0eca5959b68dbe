"""outbox leases name their worker (issue 34, item 4)

``outbox_job.leased_by`` names the worker holding a job's lease (until ``run_after``), so a
worker renews and, when it stops, releases only the jobs it holds itself. Existing rows get
NULL: nobody holds them, and a lease still running from before runs out as it did.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_job") as batch:
        batch.add_column(sa.Column("leased_by", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_job") as batch:
        batch.drop_column("leased_by")
