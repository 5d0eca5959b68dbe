"""customer phones encrypted with a lookup hash; codes no longer filed under the address

``customer.phone`` (plaintext, unique) becomes ``phone_enc`` (Fernet under the field keys) and
``phone_lookup`` (HMAC-SHA256 under the lookup key, unique), as identity documents are kept.
Existing phones are converted with the keys the application loads — ``ADMIT_FIELD_KEYS`` and
``ADMIT_LOOKUP_KEY``, or the key files under ``ADMIT_DATA_DIR/keys`` — so ``admit migrate`` must
run with the application's settings; the keys are read only when there are phones to convert,
and a missing key file is an error (never a new key nobody else has).

``verification_code.target`` now holds a keyed hash of the phone or email: outstanding codes
(ten minutes' worth) are deleted rather than converted; a customer asks for another.

On SQLite the ``phone`` column goes by copying the table (its UNIQUE constraint forbids
``DROP COLUMN``), with foreign keys off for the copy — other tables point at customers, and
dropping the old table would trip them — and checked after it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from admit.core.crypto import FieldCrypto
from admit.migrations.data_steps import application_crypto, run_copying_tables

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The label of admit.accounts.customer_phones.phone_lookup, frozen here as this revision used it.
PHONE_LOOKUP = "customer-phone"
customer = sa.table(
    "customer",
    sa.column("id", sa.BigInteger()),
    sa.column("phone", sa.String()),
    sa.column("phone_enc", sa.Text()),
    sa.column("phone_lookup", sa.String()),
)


def _crypto() -> FieldCrypto:
    return application_crypto("customer phones")


def _encrypt_phones() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(customer.c.id, customer.c.phone).where(customer.c.phone.is_not(None))
    ).all()
    if not rows:
        return
    crypto = _crypto()
    for row_id, phone in rows:
        bind.execute(
            customer.update()
            .where(customer.c.id == row_id)
            .values(
                phone_enc=crypto.encrypt(phone), phone_lookup=crypto.lookup(PHONE_LOOKUP, phone)
            )
        )


def _decrypt_phones() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(customer.c.id, customer.c.phone_enc).where(customer.c.phone_enc.is_not(None))
    ).all()
    if not rows:
        return
    crypto = _crypto()
    for row_id, phone_enc in rows:
        bind.execute(
            customer.update().where(customer.c.id == row_id).values(phone=crypto.decrypt(phone_enc))
        )


def _upgrade() -> None:
    op.execute("DELETE FROM verification_code")
    op.add_column("customer", sa.Column("phone_enc", sa.Text(), nullable=True))
    op.add_column("customer", sa.Column("phone_lookup", sa.String(length=64), nullable=True))
    _encrypt_phones()
    with op.batch_alter_table("customer", recreate="auto") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_customer_phone"), type_="unique")
        batch_op.drop_column("phone")
        batch_op.create_unique_constraint(batch_op.f("uq_customer_phone_lookup"), ["phone_lookup"])


def _downgrade() -> None:
    op.execute("DELETE FROM verification_code")
    op.add_column("customer", sa.Column("phone", sa.String(length=20), nullable=True))
    _decrypt_phones()
    with op.batch_alter_table("customer", recreate="auto") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_customer_phone_lookup"), type_="unique")
        batch_op.drop_column("phone_lookup")
        batch_op.drop_column("phone_enc")
        batch_op.create_unique_constraint(batch_op.f("uq_customer_phone"), ["phone"])


def upgrade() -> None:
    run_copying_tables(_upgrade)


def downgrade() -> None:
    run_copying_tables(_downgrade)
