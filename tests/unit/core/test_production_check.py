"""What keeps a production server from starting (``admit.core.production_check``), and the
URL masking of everything the platform prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from admit.core.config import Settings
from admit.core.logging import masked_url
from admit.core.production_check import (
    SharedSecret,
    is_production,
    problems,
    shared_secrets,
)

PG = "postgresql+asyncpg://admit:pw@db.internal/admit"
GOOD_SECRET = "k3Yd8-partner-issued-9f2"


def _settings(**overrides: object) -> Settings:
    """Settings fit for production, with ``overrides``."""
    values: dict[str, object] = {
        "data_dir": Path("/nonexistent"),
        "database_url": PG,
        "public_url": "https://tickets.example.com",
        "environment": None,
        "field_keys": "a-fernet-key",
        "lookup_key": "a-lookup-key",
        "sms_secret": GOOD_SECRET,
        "identity_secret": GOOD_SECRET,
        "bank_secret": GOOD_SECRET,
        "simulators_in_process": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _problems(settings: Settings, cinema: str = GOOD_SECRET) -> list[str]:
    return problems(settings, shared_secrets(settings, cinema))


@pytest.mark.parametrize(
    ("database_url", "public_url", "environment", "production"),
    [
        (None, None, None, False),  # the demo's SQLite on this machine
        (None, "http://127.0.0.1:8000", None, False),
        (None, "http://localhost:8000", None, False),
        (PG, None, None, True),  # a PostgreSQL database means production …
        (PG, None, "development", False),  # … unless said otherwise
        (None, "https://tickets.example.com", None, True),
        (None, "https://tickets.example.com", "development", False),
        (None, None, "production", True),
    ],
)
def test_what_counts_as_production(
    database_url: str | None, public_url: str | None, environment: str | None, production: bool
) -> None:
    settings = _settings(database_url=database_url, public_url=public_url, environment=environment)
    assert is_production(settings) is production


def test_production_ready_settings_have_no_problem() -> None:
    assert _problems(_settings()) == []


@pytest.mark.parametrize(
    ("field", "variable"),
    [
        ("sms_secret", "ADMIT_SMS_SECRET"),
        ("identity_secret", "ADMIT_IDENTITY_SECRET"),
        ("bank_secret", "ADMIT_BANK_SECRET"),
    ],
)
@pytest.mark.parametrize("value", ["dev-secret", "", "  ", "changeme"])
def test_each_default_or_empty_secret_is_named(field: str, variable: str, value: str) -> None:
    found = _problems(_settings(**{field: value}))
    assert len(found) == 1
    assert found[0].startswith(f"{variable} is a published default")


def test_the_settings_defaults_are_all_refused() -> None:
    defaults = Settings(data_dir=Path("/nonexistent"), database_url=PG)
    named = [line.split(" ", 1)[0] for line in _problems(defaults, cinema="dev-secret")]
    assert named == [
        "ADMIT_SMS_SECRET",
        "ADMIT_IDENTITY_SECRET",
        "ADMIT_BANK_SECRET",
        "ADMIT_CINEMA_SECRET",
        "ADMIT_FIELD_KEYS",
        "ADMIT_LOOKUP_KEY",
        "ADMIT_SIMULATORS_IN_PROCESS",
    ]


def test_the_cinema_secret_is_checked_too() -> None:
    found = _problems(_settings(), cinema="dev-secret")
    assert [line.split(" ", 1)[0] for line in found] == ["ADMIT_CINEMA_SECRET"]


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"field_keys": None}, "ADMIT_FIELD_KEYS"),
        ({"lookup_key": None}, "ADMIT_LOOKUP_KEY"),
        ({"simulators_in_process": True}, "ADMIT_SIMULATORS_IN_PROCESS"),
    ],
)
def test_unset_keys_and_in_process_simulators_are_named(
    overrides: dict[str, object], variable: str
) -> None:
    found = _problems(_settings(**overrides))
    assert [line.split(" ", 1)[0] for line in found] == [variable]


def test_a_secret_is_never_echoed() -> None:
    found = problems(_settings(), [SharedSecret("ADMIT_X_SECRET", "secret")])
    assert found == ["ADMIT_X_SECRET is a published default: set the secret the partner issued"]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+asyncpg://admit:s3cr%40t@db:5432/admit",
            "postgresql+asyncpg://admit:***@db:5432/admit",
        ),
        ("redis://:hunter2@cache:6379/0", "redis://:***@cache:6379/0"),
        ("rediss://default:pw@cache:6380/1#x", "rediss://default:***@cache:6380/1#x"),
        (
            "postgresql+asyncpg://admit@db/admit?password=pw&ssl=require",
            "postgresql+asyncpg://admit@db/admit?password=***&ssl=require",
        ),
        ("sqlite+aiosqlite:////srv/admit/admit.db", "sqlite+aiosqlite:////srv/admit/admit.db"),
        ("postgresql://admit@db/admit", "postgresql://admit@db/admit"),
        ("redis://cache:notaport/0", "***"),  # unreadable: nothing of it shown
    ],
)
def test_masked_url_hides_passwords(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_a_sign_in_provider_needs_https_and_its_own_secret() -> None:
    provider = {
        "name": "acme",
        "label": "Acme",
        "issuer": "https://id.acme.example",
        "client_id": "admit",
        "client_secret": GOOD_SECRET,
    }
    assert _problems(_settings(oidc_providers=[provider])) == []
    found = _problems(
        _settings(
            oidc_providers=[
                {**provider, "issuer": "http://id.acme.example", "client_secret": "dev-secret"}
            ]
        )
    )
    assert [line.split(" ", 1)[0] for line in found] == [
        "ADMIT_OIDC_PROVIDERS[acme].client_secret",
        "ADMIT_OIDC_PROVIDERS[acme]",
    ]
