"""The redaction step every log record goes through: secret fields, known secret values,
credentials in URLs and headers, mobile and ID numbers, in any text and at any depth."""

from __future__ import annotations

from typing import Any

import pytest

from admit.core.log_redaction import MASK, Redactor, is_secret_name

DB_PASSWORD = "pg-Pa55word-7f3a"
FIELD_KEY = "q0v4bQf1b3N0aGVyLWtleS1mb3ItdGVzdHMtb25seQ=="
redact = Redactor([DB_PASSWORD, FIELD_KEY, "short"])


def _record(**fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = redact(None, "info", {"event": "e", **fields})
    return out


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "db_password",
        "secret",
        "bank_secret",
        "token",
        "access_token",
        "api_key",
        "apiKey",
        "x-api-key",
        "field_keys",
        "Authorization",
        "cookie",
        "set-cookie",
        "phone",
        "mobile_phone",
        "id_number",
        "document_number",
    ],
)
def test_secret_field_names(name: str) -> None:
    assert is_secret_name(name)
    assert _record(**{name: "value"})[name] == MASK


@pytest.mark.parametrize(
    "name", ["path", "error", "job_id", "status", "method", "monkey", "keyboard", "route"]
)
def test_ordinary_field_names_are_kept(name: str) -> None:
    assert not is_secret_name(name)
    assert _record(**{name: "value"})[name] == "value"


def test_known_values_are_scrubbed_from_any_text() -> None:
    text = f"connect failed for password {DB_PASSWORD}; key={FIELD_KEY}!"
    assert redact.text(text) == f"connect failed for password {MASK}; key={MASK}!"


def test_values_shorter_than_six_are_left_in_text() -> None:
    # "short" would eat ordinary words; under a secret name or in a URL it is still hidden.
    assert redact.text("a short text") == "a short text"
    assert _record(password="short")["password"] == MASK


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "postgresql+asyncpg://admit:hunter2@db:5432/admit",
            "postgresql+asyncpg://admit:***@db:5432/admit",
        ),
        ("redis://:hunter2@cache:6379/0", "redis://:***@cache:6379/0"),
        (
            "see http://db/x?sslmode=require&password=hunter2 now",
            "see http://db/x?sslmode=require&password=*** now",
        ),
        ("GET /pay?token=abcdef&x=1", "GET /pay?token=***&x=1"),
        ("Authorization: Bearer eyJhbGciOi.J9x-_y", "Authorization: Bearer ***"),
        ("basic dXNlcjpwYXNz", "basic ***"),
        ("call 13812345678 now", "call 138****5678 now"),
        ("手机13812345678", "手机138****5678"),
        ("id 11010519491231002X ok", "id 110***********002X ok"),
        (
            "order 123456789012 and 2026-12-06T22:11:24",
            "order 123456789012 and 2026-12-06T22:11:24",
        ),
        ("request a13812345678b", "request a13812345678b"),
    ],
)
def test_patterns(text: str, shown: str) -> None:
    assert redact.text(text) == shown


def test_exception_text_and_nested_values() -> None:
    record = _record(
        exception=f"Traceback (most recent call last):\nValueError: bad {FIELD_KEY}",
        details={"nested": [f"x {DB_PASSWORD}", {"token": "t0k3n-value"}]},
        count=3,
        ok=True,
        nothing=None,
    )
    assert record["exception"] == f"Traceback (most recent call last):\nValueError: bad {MASK}"
    assert record["details"] == {"nested": [f"x {MASK}", {"token": MASK}]}
    assert (record["count"], record["ok"], record["nothing"]) == (3, True, None)


def test_objects_are_rendered_then_scrubbed() -> None:
    class Holder:
        def __repr__(self) -> str:
            return f"Holder(password={DB_PASSWORD!r})"

    assert _record(thing=Holder())["thing"] == f"Holder(password='{MASK}')"


def test_private_fields_pass_untouched() -> None:
    marker = object()
    assert _record(_record=marker)["_record"] is marker


def test_without_secrets_the_patterns_still_apply() -> None:
    assert Redactor([]).text("Bearer abc 13812345678") == "Bearer *** 138****5678"
