"""Refuse to run with keys that cannot read the personal data (issue 34, item 6).

A key file that is missing is created on first use (the demo needs no configuration); a new
key in place of a lost one would leave every identity and phone number unreadable and new data
under a key nobody else has. So every entrypoint asks :func:`key_problem` before it builds its
runtime: with encrypted rows in the database, the keys must exist and decrypt a sample of
them; only a database holding nothing encrypted gets new keys."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import inspect, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from admit.core.config import Settings
from admit.core.crypto import (
    ENCRYPTED_COLUMNS,
    UndecryptableValue,
    load_crypto,
    missing_key_files,
)
from admit.core.db import create_engine
from admit.core.errors import AdmitError

RESTORE_HINT = "restore the keys from the backup (docs/operations.md, Backup and restore)"


class KeysLost(AdmitError):
    code: ClassVar[str] = "keys_lost"
    status: ClassVar[int] = 503


async def _samples(conn: AsyncConnection) -> list[str]:
    """One stored encrypted value per encrypted column that holds any (tables that do not
    exist yet hold none)."""
    tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    found: list[str] = []
    for model, names in ENCRYPTED_COLUMNS:
        if model.__tablename__ not in tables:
            continue
        columns: list[Any] = [getattr(model, n) for n in names]
        row = (
            await conn.execute(
                select(*columns).where(or_(*(c.is_not(None) for c in columns))).limit(1)
            )
        ).first()
        if row is not None:
            found.extend(v for v in row if v is not None)
    return found


async def key_problem(settings: Settings) -> str | None:
    """One line saying why these keys must not be used on this database; ``None`` when they
    read its personal data (or it holds none yet). Creates no key file."""
    engine = create_engine(settings.effective_database_url)
    try:
        async with engine.connect() as conn:
            samples = await _samples(conn)
    finally:
        await engine.dispose()
    if not samples:
        return None
    key_dir = settings.data_dir / "keys"
    missing = missing_key_files(settings.field_keys, settings.lookup_key, key_dir)
    if missing:
        named = ", ".join(
            f"{'ADMIT_FIELD_KEYS' if m == 'field.key' else 'ADMIT_LOOKUP_KEY'} (or {key_dir / m})"
            for m in missing
        )
        return (
            "the database holds encrypted personal data and its keys are missing "
            f"({named}): {RESTORE_HINT}"
        )
    crypto = load_crypto(settings.field_keys, settings.lookup_key, key_dir)
    try:
        for value in samples:
            crypto.decrypt(value)
    except UndecryptableValue:
        return (
            "the field keys do not decrypt the personal data in the database "
            f"(another installation's keys?): {RESTORE_HINT}"
        )
    return None


async def refuse_lost_keys(settings: Settings) -> None:
    """Raise :class:`KeysLost` with :func:`key_problem`'s line."""
    problem = await key_problem(settings)
    if problem:
        raise KeysLost(problem)
