"""Structured logs (structlog): console lines for people, JSON for machines."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit

import structlog

from admit.core.config import Settings

# Loggers kept at WARNING or above whatever the level: alembic's chatter, and the drivers, which
# log statements with their parameters at DEBUG (those may carry personal data).
QUIETED_LOGGERS = ("alembic", "aiosqlite", "asyncpg", "sqlalchemy.engine", "httpx", "httpcore")
MASK = "***"
SECRET_QUERY_KEYS = frozenset({"password", "pass", "pwd", "secret", "token", "sslpassword"})


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


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(message)s")
    for name in QUIETED_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
    )
