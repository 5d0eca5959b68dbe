"""The ``admit`` command: run, migrate, seed, import and inspect the platform."""

from admit.cli import backup, restore  # noqa: F401  (their commands join the app)
from admit.cli.commands import app


def main() -> None:
    app()


__all__ = ["app", "main"]
