"""Checks run by ``make check``: import boundaries and migrations in step with the models."""
