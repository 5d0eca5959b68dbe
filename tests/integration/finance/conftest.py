"""The bank simulator and the sales consistency check of the sales tests: the gateway's
statements reconciled here are of payments made through it."""

from __future__ import annotations

from tests.integration.sales.conftest import bank, consistent  # noqa: F401  (fixtures)
