"""The bank simulator of the sales tests: the gateway's statements reconciled here are of
payments made through it. (Modules that make payments also take the sales tests' consistency
check, ``consistent``; the migration test, on an empty database of its own, does not.)"""

from __future__ import annotations

from tests.integration.sales.conftest import bank  # noqa: F401  (a fixture)
