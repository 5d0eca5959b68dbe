"""gate manifests carry the ID number's last characters, not a salted digest; pickup codes keep
their unique index (security issue 30, items 14 and 17)

A manifest entry's ``id_digest`` (SHA-256 of a per-manifest salt and the number, both handed to
every device: searchable offline) becomes ``id_tail``, the number's last characters; the salt
goes. The manifests' fingerprints are cleared so that the next download re-reads every ticket:
entries of real-name holders then get their tail under a new version, which devices take as an
ordinary update. Pickup codes are now random (``admit.sales.pickup_codes``); their unique
constraint ``uq_sales_order_pickup_code`` (an index on both databases) stays as 0006 made it:
partner cinemas' own codes live in the partner tables, not in this column.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("checkin_manifest_entry", sa.Column("id_tail", sa.String(4), nullable=True))
    op.execute("ALTER TABLE checkin_manifest_entry DROP COLUMN id_digest")
    op.execute("ALTER TABLE checkin_manifest DROP COLUMN salt")
    op.execute("UPDATE checkin_manifest SET digest = ''")


def downgrade() -> None:
    op.add_column(
        "checkin_manifest",
        sa.Column("salt", sa.String(32), nullable=False, server_default="downgraded"),
    )
    op.add_column("checkin_manifest_entry", sa.Column("id_digest", sa.String(32), nullable=True))
    op.execute("ALTER TABLE checkin_manifest_entry DROP COLUMN id_tail")
    op.execute("UPDATE checkin_manifest SET digest = ''")
