"""The after-sale tests buy through the bank simulator as the sales tests do, and end with
the same consistency check."""

from tests.integration.sales.conftest import bank, consistent  # noqa: F401  (fixtures)
