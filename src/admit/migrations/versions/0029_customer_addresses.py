"""customers' delivery addresses (issue 27, item 3; FE3, API3)

``customer_address``: several per account, one of them the default; the region (province,
city, district, postal code) and the label in clear, the street, recipient and phone
encrypted under the field keys like customers' phones.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from admit.core.db import BigIntKey, UTCDateTime

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_address",
        sa.Column("id", BigIntKey, nullable=False),
        sa.Column("customer_id", BigIntKey, nullable=False),
        sa.Column("label", sa.String(30), nullable=True),
        sa.Column("province", sa.String(40), nullable=False),
        sa.Column("city", sa.String(40), nullable=False),
        sa.Column("district", sa.String(40), nullable=False),
        sa.Column("postal_code", sa.String(6), nullable=True),
        sa.Column("street_enc", sa.Text(), nullable=False),
        sa.Column("recipient_enc", sa.Text(), nullable=False),
        sa.Column("phone_enc", sa.Text(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_customer_address_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_address")),
    )
    op.create_index(op.f("ix_customer_address_customer_id"), "customer_address", ["customer_id"])


def downgrade() -> None:
    op.drop_table("customer_address")
