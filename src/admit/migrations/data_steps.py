"""What migrations that rewrite data share: the application's field keys (loaded as
``Runtime.from_settings`` loads them, refused rather than invented), and a schema change run on
SQLite with foreign keys off, so that a table copy is not refused by rows pointing at it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import op

from admit.core.config import Settings
from admit.core.crypto import FieldCrypto, load_crypto


def application_crypto(what: str) -> FieldCrypto:
    """The application's keys; ``RuntimeError`` naming ``what`` needs them when a key is
    neither set nor kept under ``ADMIT_DATA_DIR/keys``."""
    settings = Settings()
    key_dir = settings.data_dir / "keys"
    for setting, file in ((settings.field_keys, "field.key"), (settings.lookup_key, "lookup.key")):
        if not setting and not Path(key_dir / file).exists():
            raise RuntimeError(
                f"{what} need the field keys to be converted: set ADMIT_FIELD_KEYS and "
                f"ADMIT_LOOKUP_KEY, or ADMIT_DATA_DIR to the directory whose keys/{file} the "
                f"application uses"
            )
    return load_crypto(settings.field_keys, settings.lookup_key, key_dir)


def _without_foreign_keys(change: Callable[[], None]) -> None:
    """Run ``change`` in a transaction of its own with SQLite's foreign keys off (the pragma is
    ignored inside a transaction), then check them and turn them on again."""
    bind = op.get_bind()
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    change()
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken by the table copy: {broken[:5]}")
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=ON")
    bind.exec_driver_sql("BEGIN IMMEDIATE")


def run_copying_tables(change: Callable[[], None]) -> None:
    """Run a change that may copy tables (``batch_alter_table``): on SQLite with foreign keys
    off and checked after; elsewhere as it is."""
    if op.get_bind().dialect.name == "sqlite":
        _without_foreign_keys(change)
    else:
        change()
