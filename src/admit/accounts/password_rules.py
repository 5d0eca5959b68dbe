"""Password strength and lockout arithmetic (SEC1). Pure: policy values and ``now`` come in."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, timedelta

CLASSES = (
    ("a lower-case letter", set(string.ascii_lowercase)),
    ("an upper-case letter", set(string.ascii_uppercase)),
    ("a digit", set(string.digits)),
    ("a symbol", set(string.punctuation + " ")),
)
MAX_LENGTH = 128


@dataclass(frozen=True, slots=True)
class Strength:
    min_length: int
    min_classes: int


def password_problems(password: str, rules: Strength, *, login: str = "") -> list[str]:
    """Every reason the password is too weak (empty when it is acceptable)."""
    problems = []
    if len(password) < rules.min_length:
        problems.append(f"at least {rules.min_length} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"at most {MAX_LENGTH} characters")
    present = [name for name, chars in CLASSES if chars & set(password)]
    if len(present) < rules.min_classes:
        missing = [name for name, _ in CLASSES if name not in present]
        problems.append(
            f"at least {rules.min_classes} of: lower-case, upper-case, digit, symbol "
            f"(add {' or '.join(missing)})"
        )
    if login and len(login) >= 3 and login.casefold() in password.casefold():
        problems.append("must not contain the login name")
    return problems


@dataclass(frozen=True, slots=True)
class Lockout:
    threshold: int
    minutes: int


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and locked_until > now


def after_failure(failed: int, rules: Lockout, now: datetime) -> tuple[int, datetime | None]:
    """The failure count and lock after one more wrong password: the threshold-th failure locks
    the account for the cool-down and starts the count again."""
    failed += 1
    if failed >= rules.threshold:
        return 0, now + timedelta(minutes=rules.minutes)
    return failed, None


def password_expired(changed_at: datetime | None, rotation_days: int, now: datetime) -> bool:
    """Rotation (SEC1): 0 days means passwords never expire."""
    if rotation_days <= 0 or changed_at is None:
        return False
    return now - changed_at >= timedelta(days=rotation_days)
