"""customer_provider_link: customers' accounts at OpenID Connect providers (issue 27, item 4)

One row per (provider, subject), the account it signs in; an account links at most one
subject per provider.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from admit.core.db import BigIntKey, UTCDateTime

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_provider_link",
        sa.Column("id", BigIntKey, nullable=False),
        sa.Column("customer_id", BigIntKey, nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("linked_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_customer_provider_link_customer_id_customer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_provider_link")),
        sa.UniqueConstraint(
            "customer_id", "provider", name=op.f("uq_customer_provider_link_customer_id_provider")
        ),
        sa.UniqueConstraint(
            "provider", "subject", name=op.f("uq_customer_provider_link_provider_subject")
        ),
    )


def downgrade() -> None:
    op.drop_table("customer_provider_link")
