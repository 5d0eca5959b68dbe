"""Why a process cannot start, one line per problem, instead of a traceback of several hundred
lines: a setting that does not validate, a database that cannot be reached or refuses the
login, production settings that may not serve. Anything else is not a startup error and goes
on as it was raised."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from admit.core.log_redaction import Redactor
from admit.core.logging import TRUE_WORDS, masked_url, secret_values
from admit.core.production_check import InsecureSettings

EXIT_STARTUP = 2
# SQLSTATEs of a connection that could not be made: connection exceptions (08), the login
# refused (28), no such database, the server starting or shutting down, too many clients.
CONNECT_STATE_CLASSES = ("08", "28")
CONNECT_STATES = frozenset({"3D000", "57P01", "57P02", "57P03", "53300"})
CHAIN_DEPTH = 5


def _settings_problems(exc: ValidationError) -> list[str]:
    # ``Settings`` reads ``ADMIT_*``, ``CinemaSettings`` ``ADMIT_CINEMA_*``: name the variable.
    area = exc.title.removesuffix("Settings").upper()
    prefix = f"ADMIT_{area}_" if area else "ADMIT_"
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        name = prefix + "_".join(str(part) for part in error["loc"]).upper()
        lines.append(f"{name}: {error['msg']}")
    return lines


def unreachable_reason(exc: BaseException) -> str | None:
    """Why the database could not be reached or refused the connection, if that is what
    ``exc`` (or an exception it came from) says; ``None`` for any other error."""
    seen: BaseException | None = exc
    for _ in range(CHAIN_DEPTH):
        if seen is None:
            return None
        if isinstance(seen, DBAPIError):
            state = str(getattr(seen.orig, "sqlstate", "") or "")
            text = str(seen.orig).strip().splitlines()[0] if str(seen.orig).strip() else ""
            if state.startswith(CONNECT_STATE_CLASSES) or state in CONNECT_STATES:
                return text
            if "unable to open database file" in text:  # SQLite
                return text
        if isinstance(seen, ConnectionError | socket.gaierror | TimeoutError):
            return seen.strerror or str(seen) or type(seen).__name__
        if type(seen) is OSError and "Connect call failed" in str(seen):  # several addresses
            return str(seen)
        seen = seen.__cause__ or seen.__context__
    return None


def problems(exc: BaseException, database_url: str | None = None) -> list[str] | None:
    """The lines that say what is wrong, or ``None`` when ``exc`` is not a startup error."""
    if isinstance(exc, ValidationError) and exc.title.endswith("Settings"):
        return _settings_problems(exc)
    if isinstance(exc, InsecureSettings):
        return [f"refusing to serve in production: {line}" for line in exc.problems]
    if database_url is not None:
        reason = unreachable_reason(exc)
        if reason is not None:
            return [f"cannot reach the database at {masked_url(database_url)}: {reason}"]
    return None


def report(lines: list[str]) -> None:
    """To stderr as ``admit: …`` lines, or as log records in JSON mode (one JSON object a
    line on stdout); secret values in the environment are hidden either way."""
    if os.environ.get("ADMIT_LOG_JSON", "").strip().lower() in TRUE_WORDS:
        log = structlog.get_logger("admit.startup")
        for line in lines:
            log.error("startup_failed", problem=line)
        return
    redact = Redactor(secret_values(None, os.environ))
    for line in lines:
        sys.stderr.write(f"admit: {redact.text(line)}\n")


@contextmanager
def exit_on_startup_error(
    database_url: str | None = None, *, code: int = EXIT_STARTUP
) -> Iterator[None]:
    """Around a step of starting up: a startup error is reported in a line each and the
    process exits with ``code``; any other exception goes on."""
    try:
        yield
    except Exception as exc:
        found = problems(exc, database_url)
        if found is None:
            raise
        report(found)
        raise SystemExit(code) from None
