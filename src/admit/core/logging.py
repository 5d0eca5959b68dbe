"""Structured logs (structlog): console lines for people, JSON for machines, one pipeline for
every process and every library.

structlog's events and the standard library's records (uvicorn, SQLAlchemy, asyncio) go
through the same processors to one handler on stdout: a timestamp and level, the exception
as plain text inside the record (never Rich's tracebacks, which print local variables), then
the :class:`~admit.core.log_redaction.Redactor` built from this deployment's secrets, then
the renderer (``ADMIT_LOG_JSON``: one JSON object a line)."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Mapping
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import structlog

from admit.core.config import Settings
from admit.core.log_redaction import MASK, SECRET_QUERY_KEYS, Redactor

# Loggers kept at WARNING or above whatever the level: alembic's chatter, and the drivers, which
# log statements with their parameters at DEBUG (those may carry personal data).
# The server's loggers: uvicorn's default configuration gives them handlers of their own and
# stops them propagating; ours sends them through the one pipeline. Its access log stays off:
# it writes the raw path and query (ids, tokens); ``http/access_log.py`` replaces it.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error")
SERVER_ACCESS_LOGGER = "uvicorn.access"
QUIETED_LOGGERS = ("alembic", "aiosqlite", "asyncpg", "sqlalchemy.engine", "httpx", "httpcore")
# ``ADMIT_*`` variables whose values are secrets whatever reads them (``ADMIT_CINEMA_SECRET``
# belongs to the partners slice's settings, and a future adapter's secret is covered too).
SECRET_VARIABLE = re.compile(r"SECRET|PASSWORD|TOKEN|_KEYS?(_|$)")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
LOGGED_MARK = "_admit_logged"


def masked_url(url: str) -> str:
    """``url`` fit to print or log: a password in it (``user:pw@host``, ``?password=``) shown
    as ``***``. Every database or Redis URL the platform shows goes through here."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # a malformed port raises here: then nothing of the URL is shown
    except ValueError:
        return MASK
    shown = url
    if parts.password is not None:
        user, _, host = parts.netloc.rpartition("@")
        shown = shown.replace(parts.netloc, f"{user.partition(':')[0]}:{MASK}@{host}", 1)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if any(k.lower() in SECRET_QUERY_KEYS for k, _ in pairs):
        query = urlencode(
            [(k, MASK if k.lower() in SECRET_QUERY_KEYS else v) for k, v in pairs], safe="*"
        )
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        shown = f"{shown.partition('?')[0]}?{query}{fragment}"
    return shown


def _url_secrets(url: str | None) -> list[str]:
    """The password of ``url`` (as written and decoded) and its secret query values."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [parts.password, unquote(parts.password)] if parts.password else []
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    return found + [v for k, v in pairs if k.lower() in SECRET_QUERY_KEYS]


def secret_values(settings: Settings | None, environ: Mapping[str, str]) -> list[str]:
    """Every secret value a log line must not show: the database's and Redis's passwords, the
    field-encryption and lookup keys, the outside systems' shared secrets, and any ``ADMIT_*``
    variable named like a secret."""
    found: list[str] = []
    for name, value in environ.items():
        if not name.startswith("ADMIT_"):
            continue
        if SECRET_VARIABLE.search(name):
            found += value.split(",")
        elif name.endswith("_URL"):
            found += _url_secrets(value)
    if settings is not None:
        found += _url_secrets(settings.effective_database_url)
        found += _url_secrets(settings.redis_url)
        found += (settings.field_keys or "").split(",")
        found += [settings.lookup_key or "", settings.sms_secret, settings.identity_secret]
        found += [settings.bank_secret]
    return sorted({v.strip() for v in found if v.strip()})


def mark_logged(exc: BaseException) -> None:
    """Say that ``exc`` has been logged with its traceback (by the error handler, which knows
    the request): the server's own "Exception in ASGI application" record of it is dropped."""
    setattr(exc, LOGGED_MARK, True)


def not_logged_before(record: logging.LogRecord) -> bool:
    """The handler's filter: False for a record of an exception already logged (one traceback
    per error, not two)."""
    exc = record.exc_info[1] if record.exc_info else None
    return not getattr(exc, LOGGED_MARK, False)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is at the time (a test's capture, a redirection)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def configure_logging(settings: Settings) -> None:
    """Every process's logging, from its settings (call again to change it)."""
    _install(settings.log_level, settings.log_json, secret_values(settings, os.environ))


def baseline_logging() -> None:
    """Logging before the settings are read, or when they cannot be: the same pipeline from
    the raw ``ADMIT_LOG_JSON`` and ``ADMIT_LOG_LEVEL``, hiding the secrets in the
    environment. Until a process calls this or :func:`configure_logging`, structlog's own
    default would print tracebacks with their local variables."""
    env = os.environ
    as_json = env.get("ADMIT_LOG_JSON", "").strip().lower() in TRUE_WORDS
    _install(env.get("ADMIT_LOG_LEVEL", "INFO"), as_json, secret_values(None, env))


def _install(level_name: str, as_json: bool, secrets: list[str]) -> None:
    level = logging.getLevelNamesMapping().get(level_name.upper(), logging.INFO)
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,  # plain text, no locals, inside the record
        Redactor(secrets),
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    handler = _StdoutHandler()
    handler.set_name("admit")
    handler.addFilter(not_logged_before)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "admit"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in SERVER_LOGGERS:  # taken over even if uvicorn's own config was applied before
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
        server_logger.setLevel(logging.NOTSET)
    server_access = logging.getLogger(SERVER_ACCESS_LOGGER)
    server_access.handlers.clear()
    server_access.propagate = False
    for name in QUIETED_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=False,
    )
