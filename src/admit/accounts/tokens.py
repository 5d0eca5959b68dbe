"""Opaque bearer tokens: random, shown once, stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from admit.core.errors import AdmitError


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime
    subject_id: int


@dataclass(frozen=True, slots=True)
class Attempt:
    """A sign-in's outcome. A refusal is returned, not raised, so that the failures it
    recorded (account and address counters) commit with the entrypoint's unit of work."""

    token: IssuedToken | None = None
    refusal: AdmitError | None = None


def new_token() -> tuple[str, str]:
    """A fresh token and the digest to store."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
