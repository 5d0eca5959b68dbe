"""staff and holder phones encrypted (security issue 30, item 16)

``staff_user.phone`` becomes ``phone_enc`` and ``customer_holder.contact_phone`` becomes
``contact_phone_enc``: Fernet under the field keys, as customers' phones (0013) and identity
documents are kept. Nothing finds a staff member or a holder by phone, so neither gets a
lookup hash. Existing phones are converted with the keys the application loads —
``ADMIT_FIELD_KEYS`` and ``ADMIT_LOOKUP_KEY``, or the key files under ``ADMIT_DATA_DIR/keys``
— so ``admit migrate`` must run with the application's settings; the keys are read only when
there are phones to convert, before anything changes, and a missing key file is an error
(never a new key nobody else has). Downgrading decrypts them back the same way.

On SQLite a column goes by copying the table; other tables point at staff users and holders,
so the copy runs with foreign keys off and they are checked after it (as in 0013).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from admit.core.crypto import FieldCrypto
from admit.migrations.data_steps import application_crypto, run_copying_tables

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, the phone in clear, the phone encrypted) as this revision found and left them.
PHONES = (
    ("staff_user", "phone", "phone_enc"),
    ("customer_holder", "contact_phone", "contact_phone_enc"),
)
CLEAR_LENGTH = 20


def _table(name: str, clear: str, encrypted: str) -> sa.TableClause:
    return sa.table(name, sa.column("id", sa.BigInteger()), sa.column(clear), sa.column(encrypted))


def _crypto() -> FieldCrypto:
    return application_crypto("staff and holder phones")


def _crypto_if_needed(source: int) -> FieldCrypto | None:
    """The keys when a row holds a phone in column ``source`` (0 clear, 1 encrypted) of any of
    the tables; ``None`` when there is nothing to convert."""
    bind = op.get_bind()
    for name, *columns in PHONES:
        table = _table(name, *columns)
        column = table.c[columns[source]]
        if bind.execute(sa.select(table.c.id).where(column.is_not(None)).limit(1)).first():
            return _crypto()
    return None


def _convert(name: str, source: str, target: str, change: Callable[[str], str]) -> None:
    """Write ``change(value)`` of every non-null ``source`` into ``target``."""
    bind = op.get_bind()
    table = _table(name, source, target)
    rows = bind.execute(
        sa.select(table.c.id, table.c[source]).where(table.c[source].is_not(None))
    ).all()
    if rows:
        bind.execute(
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values({target: sa.bindparam("value")}),
            [{"row_id": row_id, "value": change(value)} for row_id, value in rows],
        )


def upgrade() -> None:
    crypto = _crypto_if_needed(0)

    def change() -> None:
        for name, clear, encrypted in PHONES:
            op.add_column(name, sa.Column(encrypted, sa.Text(), nullable=True))
            if crypto is not None:
                _convert(name, clear, encrypted, crypto.encrypt)
            with op.batch_alter_table(name, recreate="auto") as batch_op:
                batch_op.drop_column(clear)

    run_copying_tables(change)


def downgrade() -> None:
    crypto = _crypto_if_needed(1)

    def change() -> None:
        for name, clear, encrypted in PHONES:
            op.add_column(name, sa.Column(clear, sa.String(length=CLEAR_LENGTH), nullable=True))
            if crypto is not None:
                _convert(name, encrypted, clear, crypto.decrypt)
            with op.batch_alter_table(name, recreate="auto") as batch_op:
                batch_op.drop_column(encrypted)

    run_copying_tables(change)
