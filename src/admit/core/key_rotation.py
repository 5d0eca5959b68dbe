"""Re-encrypt personal data under the newest field key (U6): after a new key is put first in
``ADMIT_FIELD_KEYS``, this brings every stored value to it so the old key can be dropped."""

from __future__ import annotations

from sqlalchemy import func, select

from admit.core.crypto import ENCRYPTED_COLUMNS, FieldCrypto
from admit.core.uow import UnitOfWork

BATCH = 500


async def count_encrypted_rows(uow: UnitOfWork) -> int:
    total = 0
    for model, _ in ENCRYPTED_COLUMNS:
        total += await uow.session.scalar(select(func.count()).select_from(model)) or 0
    return total


async def rotate_batch(
    uow: UnitOfWork, crypto: FieldCrypto, *, table: int, after_id: int
) -> tuple[int, int]:
    """Rotate up to ``BATCH`` rows of ``ENCRYPTED_COLUMNS[table]`` after ``after_id``; returns
    (rows rotated, last id seen)."""
    model, fields = ENCRYPTED_COLUMNS[table]
    rows = (
        await uow.session.scalars(
            select(model).where(model.id > after_id).order_by(model.id).limit(BATCH)
        )
    ).all()
    for row in rows:
        for name in fields:
            value = getattr(row, name)
            if value is not None:  # an optional value (a customer without a phone)
                setattr(row, name, crypto.rotate(value))
    await uow.session.flush()
    return len(rows), (rows[-1].id if rows else after_id)
