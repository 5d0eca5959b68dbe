"""Fixtures shared by the storefront's page tests (append only: two engineers add here)."""

from __future__ import annotations

# The bank simulator wired to the app under test (the checkout pages pay through it).
from tests.integration.sales.conftest import bank  # noqa: F401
