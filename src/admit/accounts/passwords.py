"""Password hashing with argon2id at OWASP's recommended cost (m=19 MiB, t=2, p=1).

Sign-in paths use the ``*_off_loop`` forms: the ~20 ms of argon2 runs in a worker thread, so
the event loop keeps serving other requests, and ``check_password`` does the same work for an
account that does not exist (a decoy hash), so timing does not tell which accounts exist."""

from __future__ import annotations

import asyncio
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _decoy_hash() -> str:
    """A hash of a random password nobody knows, verified in place of a missing account's."""
    return hash_password(secrets.token_urlsafe(24))


async def hash_password_off_loop(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def check_password(password_hash: str | None, password: str) -> bool:
    """Verify in a worker thread; with no hash (unknown account, no password set) verify a
    decoy so the answer takes as long, and return ``False``."""
    if password_hash is None:
        await asyncio.to_thread(verify_password, _decoy_hash(), password)
        return False
    return await asyncio.to_thread(verify_password, password_hash, password)
