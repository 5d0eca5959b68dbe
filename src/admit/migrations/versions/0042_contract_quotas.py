"""contract clients (issue 19, item 2; S5, FE1, U2, RN2)

Clients' account managers; the contract total and per-client quotas per session × price
level; offline payments; quantity locks, their seats and holders; imported holders.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-07 22:31:03.749866
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import admit.core.db

revision: str = "0042"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_managers",
        sa.Column(
            "client_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_client_managers_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_user.id"],
            name=op.f("fk_client_managers_staff_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", "staff_id", name=op.f("pk_client_managers")),
    )
    with op.batch_alter_table("client_managers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_managers_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "contract_holder",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "client_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "identity_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("claimed_name_lookup", sa.String(length=64), nullable=False),
        sa.Column("claimed_name_enc", sa.Text(), nullable=False),
        sa.Column(
            "imported_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_contract_holder_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["identity_id"], ["identity.id"], name=op.f("fk_contract_holder_identity_id_identity")
        ),
        sa.ForeignKeyConstraint(
            ["imported_by"],
            ["staff_user.id"],
            name=op.f("fk_contract_holder_imported_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_holder")),
        sa.UniqueConstraint(
            "client_id", "identity_id", name=op.f("uq_contract_holder_client_id_identity_id")
        ),
    )
    with op.batch_alter_table("contract_holder", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_holder_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contract_holder_identity_id"), ["identity_id"], unique=False
        )

    op.create_table(
        "contract_payment",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "client_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column(
            "recorded_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("recorded_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_contract_payment_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff_user.id"],
            name=op.f("fk_contract_payment_recorded_by_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["session.id"], name=op.f("fk_contract_payment_session_id_session")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_payment")),
        sa.UniqueConstraint(
            "client_id", "reference", name=op.f("uq_contract_payment_client_id_reference")
        ),
    )
    with op.batch_alter_table("contract_payment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_payment_recorded_by"), ["recorded_by"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contract_payment_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "contract_client_quota",
        sa.Column(
            "client_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "price_level_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("locked", sa.Integer(), nullable=False),
        sa.Column("updated_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "locked >= 0 AND locked <= quota",
            name=op.f("ck_contract_client_quota_contract_client_within"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_contract_client_quota_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["price_level_id"],
            ["price_level.id"],
            name=op.f("fk_contract_client_quota_price_level_id_price_level"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["session.id"], name=op.f("fk_contract_client_quota_session_id_session")
        ),
        sa.PrimaryKeyConstraint(
            "client_id", "price_level_id", name=op.f("pk_contract_client_quota")
        ),
    )
    with op.batch_alter_table("contract_client_quota", schema=None) as batch_op:
        batch_op.create_index("ix_contract_client_quota_session", ["session_id"], unique=False)

    op.create_table(
        "contract_lock",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "client_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "price_level_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("seated", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("collected_at", admit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("collected_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "seated >= 0 AND seated <= quantity", name=op.f("ck_contract_lock_contract_lock_seated")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_contract_lock_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["price_level_id"],
            ["price_level.id"],
            name=op.f("fk_contract_lock_price_level_id_price_level"),
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["staff_user.id"], name=op.f("fk_contract_lock_rep_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["session.id"], name=op.f("fk_contract_lock_session_id_session")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_lock")),
    )
    with op.batch_alter_table("contract_lock", schema=None) as batch_op:
        batch_op.create_index("ix_contract_lock_client", ["client_id", "session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contract_lock_rep_id"), ["rep_id"], unique=False)

    op.create_table(
        "contract_total_quota",
        sa.Column(
            "price_level_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("locked", sa.Integer(), nullable=False),
        sa.Column("updated_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "locked >= 0 AND locked <= quota",
            name=op.f("ck_contract_total_quota_contract_total_within"),
        ),
        sa.ForeignKeyConstraint(
            ["price_level_id"],
            ["price_level.id"],
            name=op.f("fk_contract_total_quota_price_level_id_price_level"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["session.id"], name=op.f("fk_contract_total_quota_session_id_session")
        ),
        sa.PrimaryKeyConstraint("price_level_id", name=op.f("pk_contract_total_quota")),
    )
    with op.batch_alter_table("contract_total_quota", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_total_quota_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "contract_lock_seat",
        sa.Column(
            "session_seat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("lock_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seat_key", sa.String(length=80), nullable=False),
        sa.Column("holder_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["contract_holder.id"],
            name=op.f("fk_contract_lock_seat_holder_id_contract_holder"),
        ),
        sa.ForeignKeyConstraint(
            ["lock_id"],
            ["contract_lock.id"],
            name=op.f("fk_contract_lock_seat_lock_id_contract_lock"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_seat_id"],
            ["session_seat.id"],
            name=op.f("fk_contract_lock_seat_session_seat_id_session_seat"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_seat_id", name=op.f("pk_contract_lock_seat")),
        sa.UniqueConstraint(
            "lock_id", "holder_id", name=op.f("uq_contract_lock_seat_lock_id_holder_id")
        ),
    )
    with op.batch_alter_table("contract_lock_seat", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_lock_seat_holder_id"), ["holder_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contract_lock_seat_lock_id"), ["lock_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contract_lock_seat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_lock_seat_lock_id"))
        batch_op.drop_index(batch_op.f("ix_contract_lock_seat_holder_id"))

    op.drop_table("contract_lock_seat")
    with op.batch_alter_table("contract_total_quota", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_total_quota_session_id"))

    op.drop_table("contract_total_quota")
    with op.batch_alter_table("contract_lock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_lock_rep_id"))
        batch_op.drop_index("ix_contract_lock_client")

    op.drop_table("contract_lock")
    with op.batch_alter_table("contract_client_quota", schema=None) as batch_op:
        batch_op.drop_index("ix_contract_client_quota_session")

    op.drop_table("contract_client_quota")
    with op.batch_alter_table("contract_payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_payment_session_id"))
        batch_op.drop_index(batch_op.f("ix_contract_payment_recorded_by"))

    op.drop_table("contract_payment")
    with op.batch_alter_table("contract_holder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_holder_identity_id"))
        batch_op.drop_index(batch_op.f("ix_contract_holder_client_id"))

    op.drop_table("contract_holder")
    with op.batch_alter_table("client_managers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_managers_staff_id"))

    op.drop_table("client_managers")
