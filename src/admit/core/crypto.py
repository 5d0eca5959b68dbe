"""Field encryption for personal data at rest (U6, INV7): Fernet (AES-128-CBC + HMAC-SHA256)
under a rotatable key ring, and keyed hashes that find a value without decrypting it."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

T = TypeVar("T")


# Every (table class, encrypted columns) of the platform, registered by the slices' models with
# @encrypted_columns: what key rotation re-encrypts.
ENCRYPTED_COLUMNS: list[tuple[Any, tuple[str, ...]]] = []


def encrypted_columns(*names: str) -> Callable[[T], T]:
    """Class decorator for a table whose columns hold :meth:`FieldCrypto.encrypt` values."""

    def register(model: T) -> T:
        ENCRYPTED_COLUMNS.append((model, names))
        return model

    return register


class UndecryptableValue(RuntimeError):
    """The configured keys cannot decrypt a stored value: a key was removed too early."""


@dataclass(frozen=True)
class FieldCrypto:
    """``keys[0]`` encrypts; every key decrypts, so a new key can be put first and old values
    re-encrypted (:meth:`rotate`) before the old key is dropped."""

    keys: tuple[bytes, ...]
    lookup_key: bytes

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("at least one field key is needed")

    @property
    def _fernet(self) -> MultiFernet:
        return MultiFernet([Fernet(k) for k in self.keys])

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise UndecryptableValue("no configured key decrypts this value") from exc

    def rotate(self, token: str) -> str:
        """The same value encrypted under the current key."""
        return self._fernet.rotate(token.encode()).decode()

    def lookup(self, *parts: str) -> str:
        """A keyed hash (HMAC-SHA256) of the parts: equal inputs, equal outputs, no way back."""
        material = "\x1f".join(parts).encode()
        return hmac.new(self.lookup_key, material, hashlib.sha256).hexdigest()


def _read_or_create(path: Path, make: bytes) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(make)
    return make


def missing_key_files(field_keys: str | None, lookup_key: str | None, key_dir: Path) -> list[str]:
    """The key files :func:`load_crypto` would have to create (the keys not set in settings and
    not kept under ``key_dir``)."""
    wanted = (("field.key", field_keys), ("lookup.key", lookup_key))
    return [name for name, setting in wanted if not setting and not (key_dir / name).exists()]


def load_crypto(field_keys: str | None, lookup_key: str | None, key_dir: Path) -> FieldCrypto:
    """Keys from settings (comma-separated Fernet keys, newest first); without them, keys kept
    in ``key_dir`` (made on first use) so the demo needs no configuration. Entrypoints call
    ``admit.core.key_guard.refuse_lost_keys`` first: a key is made only while the database
    holds nothing encrypted, never in place of a lost one."""
    keys = (
        tuple(k.strip().encode() for k in field_keys.split(",") if k.strip())
        if field_keys
        else (_read_or_create(key_dir / "field.key", Fernet.generate_key()),)
    )
    lookup = (
        lookup_key.encode()
        if lookup_key
        else _read_or_create(key_dir / "lookup.key", Fernet.generate_key())
    )
    return FieldCrypto(keys=keys, lookup_key=lookup)
