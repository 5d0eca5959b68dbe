"""Fixtures the accounts tests share: those of the data-rewriting migrations' tests."""

from tests.integration.accounts.migration_fixtures import empty_url, keys  # noqa: F401
