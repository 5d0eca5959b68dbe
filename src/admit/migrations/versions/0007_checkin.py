"""admission at the gate

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import admit.core.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gate",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("venue_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["gate.id"], name=op.f("fk_gate_parent_id_gate")),
        sa.ForeignKeyConstraint(["venue_id"], ["venue.id"], name=op.f("fk_gate_venue_id_venue")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate")),
        sa.UniqueConstraint("venue_id", "code", name=op.f("uq_gate_venue_id_code")),
    )
    with op.batch_alter_table("gate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gate_venue_id"), ["venue_id"], unique=False)

    op.create_table(
        "gate_device",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("device_type", sa.String(length=12), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("communication_id", sa.String(length=60), nullable=True),
        sa.Column("venue_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("gate_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("registered_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", admit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["gate_id"], ["gate.id"], name=op.f("fk_gate_device_gate_id_gate")),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_gate_device_venue_id_venue")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_device")),
        sa.UniqueConstraint("key_id", name=op.f("uq_gate_device_key_id")),
        sa.UniqueConstraint("number", name=op.f("uq_gate_device_number")),
    )
    with op.batch_alter_table("gate_device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gate_device_venue_id"), ["venue_id"], unique=False)

    op.create_table(
        "checkin_admission",
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("gate_code", sa.String(length=20), nullable=True),
        sa.Column("first_in_at", admit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("inside", sa.Boolean(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("updated_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["session.id"], name=op.f("fk_checkin_admission_session_id_session")
        ),
        sa.PrimaryKeyConstraint("session_id", "code", name=op.f("pk_checkin_admission")),
    )
    op.create_table(
        "checkin_manifest",
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("refreshed_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["session.id"], name=op.f("fk_checkin_manifest_session_id_session")
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_checkin_manifest")),
    )
    op.create_table(
        "checkin_manifest_entry",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("seat", sa.String(length=120), nullable=False),
        sa.Column("section", sa.String(length=20), nullable=True),
        sa.Column("level", sa.String(length=20), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=True),
        sa.Column("id_digest", sa.String(length=32), nullable=True),
        sa.Column("revoked", sa.String(length=12), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["session.id"],
            name=op.f("fk_checkin_manifest_entry_session_id_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_manifest_entry")),
        sa.UniqueConstraint(
            "session_id", "code", name=op.f("uq_checkin_manifest_entry_session_id_code")
        ),
    )
    with op.batch_alter_table("checkin_manifest_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkin_manifest_entry_since", ["session_id", "version"], unique=False
        )

    op.create_table(
        "checkin_scan",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("scan_id", sa.String(length=36), nullable=False),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "device_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("gate_code", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=True),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.String(length=60), nullable=True),
        sa.Column("device_time", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("standing", sa.Boolean(), nullable=False),
        sa.Column("conflict", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["gate_device.id"], name=op.f("fk_checkin_scan_device_id_gate_device")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["session.id"], name=op.f("fk_checkin_scan_session_id_session")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_scan")),
        sa.UniqueConstraint("scan_id", name=op.f("uq_checkin_scan_scan_id")),
    )
    with op.batch_alter_table("checkin_scan", schema=None) as batch_op:
        batch_op.create_index("ix_checkin_scan_conflict", ["session_id", "conflict"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkin_scan_device_id"), ["device_id"], unique=False)
        batch_op.create_index("ix_checkin_scan_ticket", ["session_id", "code"], unique=False)

    op.create_table(
        "validation_policy",
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("identity_check", sa.Boolean(), nullable=False),
        sa.Column("reentry", sa.Boolean(), nullable=False),
        sa.Column("admit_from", admit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("admit_until", admit.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("updated_at", admit.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["session.id"], name=op.f("fk_validation_policy_session_id_session")
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_validation_policy")),
    )


def downgrade() -> None:
    op.drop_table("validation_policy")
    with op.batch_alter_table("checkin_scan", schema=None) as batch_op:
        batch_op.drop_index("ix_checkin_scan_ticket")
        batch_op.drop_index(batch_op.f("ix_checkin_scan_device_id"))
        batch_op.drop_index("ix_checkin_scan_conflict")

    op.drop_table("checkin_scan")
    with op.batch_alter_table("checkin_manifest_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_checkin_manifest_entry_since")

    op.drop_table("checkin_manifest_entry")
    op.drop_table("checkin_manifest")
    op.drop_table("checkin_admission")
    with op.batch_alter_table("gate_device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_device_venue_id"))

    op.drop_table("gate_device")
    with op.batch_alter_table("gate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_venue_id"))

    op.drop_table("gate")
