"""Structured logs (structlog): console lines for people, JSON for machines."""

from __future__ import annotations

import logging

import structlog

from admit.core.config import Settings


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(message)s")
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
    # Drivers log statements with their parameters at DEBUG: those may carry personal data.
    for driver in ("aiosqlite", "asyncpg", "sqlalchemy.engine", "httpx", "httpcore"):
        logging.getLogger(driver).setLevel(max(level, logging.WARNING))
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
