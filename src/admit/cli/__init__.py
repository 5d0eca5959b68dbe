"""The ``admit`` command: run, migrate, seed, import and inspect the platform."""

import structlog

from admit.cli import backup, report_rollup, restore, serving, settle_period  # noqa: F401  (their commands join the app)
from admit.cli.commands import app
from admit.core.logging import baseline_logging


def main() -> None:
    # Logging is safe before any command reads its settings: an error raised by a command is
    # logged through it (plain traceback, secrets hidden; JSON in JSON mode), never printed
    # with its local variables.
    baseline_logging()
    try:
        app()
    except Exception:
        structlog.get_logger("admit.cli").exception("command_failed")
        raise SystemExit(1) from None


__all__ = ["app", "main"]
