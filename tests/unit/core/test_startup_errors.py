"""Which errors are startup errors, and the one line each becomes."""

from __future__ import annotations

import socket

import pytest
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from admit.core.config import Settings
from admit.core.production_check import InsecureSettings
from admit.core.startup_errors import problems, unreachable_reason
from admit.partners.settings import CinemaSettings

URL = "postgresql+asyncpg://admit:hunter2-secret@db.internal:5432/admit"
SHOWN = "postgresql+asyncpg://admit:***@db.internal:5432/admit"


class DriverError(Exception):
    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _dbapi(message: str, sqlstate: str) -> DBAPIError:
    return DBAPIError("SELECT 1", None, DriverError(message, sqlstate))


def test_each_bad_setting_is_a_line_naming_its_variable() -> None:
    with pytest.raises(ValidationError) as bad:
        Settings(port="x", environment="prod")  # type: ignore[arg-type]
    assert problems(bad.value) == [
        "ADMIT_PORT: Input should be a valid integer, unable to parse string as an integer",
        "ADMIT_ENVIRONMENT: Input should be 'development' or 'production'",
    ]
    with pytest.raises(ValidationError) as cinema:
        CinemaSettings(timeout_seconds="soon")  # type: ignore[arg-type]
    [line] = problems(cinema.value) or []
    assert line.startswith("ADMIT_CINEMA_TIMEOUT_SECONDS: ")


REFUSED = "Connect call failed ('10.0.0.5', 5432)"
NO_LOGIN = 'password authentication failed for user "admit"'
NO_DATABASE = 'database "admit" does not exist'
STARTING = "the database system is starting up"


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (_dbapi(NO_LOGIN, "28P01"), NO_LOGIN),
        (_dbapi(NO_DATABASE, "3D000"), NO_DATABASE),
        (_dbapi(STARTING, "57P03"), STARTING),
        (ConnectionRefusedError(111, REFUSED), REFUSED),
        (socket.gaierror(-2, "Name or service not known"), "Name or service not known"),
        (TimeoutError(), "TimeoutError"),
    ],
)
def test_an_unreachable_database_is_one_masked_line(exc: BaseException, reason: str) -> None:
    assert problems(exc, URL) == [f"cannot reach the database at {SHOWN}: {reason}"]


def test_a_cause_counts_too() -> None:
    outer = RuntimeError("migration failed")
    outer.__cause__ = ConnectionRefusedError(111, "refused")
    assert unreachable_reason(outer) == "refused"


@pytest.mark.parametrize(
    "exc",
    [
        _dbapi('relation "orders" does not exist', "42P01"),
        RuntimeError("a bug"),
        FileNotFoundError(2, "No such file"),
    ],
)
def test_other_errors_are_not_startup_errors(exc: BaseException) -> None:
    assert problems(exc, URL) is None


def test_insecure_settings() -> None:
    assert problems(InsecureSettings(["ADMIT_LOOKUP_KEY is unset"])) == [
        "refusing to serve in production: ADMIT_LOOKUP_KEY is unset"
    ]
