"""Structured logs (structlog): console lines for people, JSON for machines."""

from __future__ import annotations

import logging

import structlog

from admit.core.config import Settings

# Loggers kept at WARNING or above whatever the level: alembic's chatter, and the drivers, which
# log statements with their parameters at DEBUG (those may carry personal data).
QUIETED_LOGGERS = ("alembic", "aiosqlite", "asyncpg", "sqlalchemy.engine", "httpx", "httpcore")


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
