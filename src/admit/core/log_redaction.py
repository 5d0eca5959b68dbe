"""What may not reach a log line, and the processor that keeps it out (pure: no settings, no
I/O). Every record goes through a :class:`Redactor`, structlog's own and the standard library's
(uvicorn, SQLAlchemy, asyncio) alike, after its exception became text and before rendering:

- the value of a field whose name speaks of a secret or of personal data (``password``,
  ``db_secret``, ``authorization``, ``phone``, ``id_number``…) becomes ``***``;
- in every text, the exception's and the traceback's included: a known secret's value (the
  deployment's keys and passwords, given at configure time), a URL's password
  (``user:***@host``, ``?password=***``), a bearer or basic credential, a mainland mobile
  number (``138****5678``) and an 18-character ID number (``110***********0012``)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"
# Query parameters whose values ``admit.core.logging.masked_url`` and the redactor hide.
SECRET_QUERY_KEYS = frozenset({"password", "pass", "pwd", "secret", "token", "sslpassword"})
# Words that, anywhere in a field's name, make its value secret (names are split on ``_``,
# ``-``, ``.`` and camel case: ``apiKey`` and ``x-api-key`` are both ``api`` + ``key``).
SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "tokens",
        "key",
        "keys",
        "authorization",
        "cookie",
        "cookies",
        "credential",
        "credentials",
        "signature",
        "otp",
        "phone",
        "mobile",
        "document",
        "documents",
    }
)
SECRET_NAMES = frozenset({"id_number", "idnumber", "id_no", "idno", "auth", "dsn"})
# Shorter values are not scrubbed from free text (they would eat ordinary words such as a user
# name); they are still hidden under a secret field name and in a URL's password.
MIN_SECRET_LENGTH = 6
# Fields structlog and the standard library fill themselves: never hidden whole (their text is
# scrubbed), and the first three are left as they are (nothing a caller gave is in them).
_OWN_FIELDS = frozenset({"event", "level", "timestamp", "logger", "exception", "stack"})
_PLAIN_FIELDS = frozenset({"level", "timestamp", "logger"})
_NAME_PARTS = re.compile(r"[^0-9a-zA-Z]+|(?<=[a-z0-9])(?=[A-Z])")
_PATTERNS = (
    # A URL's user information: scheme://user:password@host
    r"(?P<url>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)[^\s@'\"]*@",
    # A secret in a query string or in key=value text
    r"(?P<query>(?<![A-Za-z0-9_])(?:"
    + "|".join(sorted(SECRET_QUERY_KEYS | {"access_token", "api_key", "apikey"}, key=len)[::-1])
    + r")=)[^&\s'\"#,;]+",
    # An HTTP credential
    r"(?P<scheme>(?<![A-Za-z0-9])(?:[Bb]earer|[Bb]asic)\s+)[A-Za-z0-9._~+/=\-]+",
    # An 18-character mainland ID number (GB 11643), before the mobile number it contains
    r"(?<![0-9A-Za-z])(?P<id>[1-9]\d{16}[0-9Xx])(?![0-9A-Za-z])",
    # An 11-digit mainland mobile number
    r"(?<![0-9A-Za-z])(?P<phone>1[3-9]\d{9})(?![0-9A-Za-z])",
)


@functools.lru_cache(maxsize=4096)  # field names are few; every record asks again
def is_secret_name(name: str) -> bool:
    """Whether a field called ``name`` holds a secret or personal data."""
    lowered = name.lower()
    if lowered in SECRET_NAMES:
        return True
    return any(part.lower() in SECRET_WORDS for part in _NAME_PARTS.split(name) if part)


class Redactor:
    """A structlog processor (``redactor(logger, method, event_dict)``) and a text scrubber
    (``redactor.text(s)``), built once from the deployment's secret values: one compiled
    expression for the values and every pattern."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        literal = [f"(?P<secret>{'|'.join(re.escape(v) for v in values)})"] if values else []
        self._pattern = re.compile("|".join([*literal, *_PATTERNS]))

    def __call__(self, _logger: object, _method: str, event_dict: Any) -> Any:
        return {key: self._field(key, value) for key, value in event_dict.items()}

    def text(self, text: str) -> str:
        return self._pattern.sub(_replacement, text)

    def _field(self, key: str, value: Any) -> Any:
        if key.startswith("_") or key in _PLAIN_FIELDS:  # "_record", structlog's markers
            return value
        if key not in _OWN_FIELDS and is_secret_name(key) and value not in (None, ""):
            return MASK
        return self.value(value)

    def value(self, value: Any) -> Any:
        """``value`` with its texts scrubbed and its secret fields hidden, to any depth;
        anything but plain data is rendered as text first (its ``repr`` may carry a secret)."""
        if isinstance(value, str):
            return self.text(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, Mapping):
            return {str(k): self._field(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(v) for v in value]
        return self.text(repr(value))


def _replacement(match: re.Match[str]) -> str:
    group = match.lastgroup
    if group in ("url", "query", "scheme"):
        return f"{match.group(group)}{MASK}" + ("@" if group == "url" else "")
    if group == "phone":
        number = match.group("phone")
        return f"{number[:3]}****{number[-4:]}"
    if group == "id":
        number = match.group("id")
        return f"{number[:3]}{'*' * 11}{number[-4:]}"
    return MASK
