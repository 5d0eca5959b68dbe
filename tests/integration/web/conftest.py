"""Fixtures shared by the storefront's page tests (append only: two engineers add here)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

# The bank simulator wired to the app under test (the checkout pages pay through it).
from tests.integration.sales.conftest import bank  # noqa: F401
from tests.integration.web.checkout_flows import browser

# The identity-provider simulator wired as the sign-in provider ``test-id``.
from tests.integration.web.provider_flows import idp  # noqa: F401


@pytest.fixture
async def web(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client like the site's own pages: cookies kept, this site's Origin on every request,
    redirects not followed."""
    async with browser(app) as c:
        yield c
