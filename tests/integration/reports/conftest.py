"""The bank simulator and the consistency check of the sales tests, for the reports' tests."""

from tests.integration.sales.conftest import bank, consistent  # noqa: F401
