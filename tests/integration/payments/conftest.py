"""Fixtures of the bank gateway tests: a bank simulator opened with a gateway client and a merchant
app (``open_bank``, for a test's own settings), or with the defaults (``bank``)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from admit.core.clock import FixedClock
from admit.payments.bank import HttpBankGateway
from admit.sims.bank import BankSimConfig, create_bank_app
from tests.integration.payments.bank_harness import (
    BANK,
    FAST_RETRIES,
    MERCHANT,
    SECRET,
    Bank,
    Merchant,
    OpenBank,
)


@pytest.fixture
async def open_bank(clock: FixedClock) -> AsyncIterator[OpenBank]:
    """Open a simulator (its lifespan running) with a gateway client and a merchant app."""
    async with contextlib.AsyncExitStack() as stack:

        async def open_(
            *, answers: tuple[str, ...] = ("success",), timeout: float = 2.0, **config: Any
        ) -> Bank:
            merchant = Merchant(answers=list(answers))
            settings: dict[str, Any] = {
                "merchants": {MERCHANT: SECRET, "other": "other-secret"},
                "notify_retry_delays_s": FAST_RETRIES,
                "notify_transport": httpx.ASGITransport(merchant.app()),
                "public_url": BANK,
                **config,
            }
            app = create_bank_app(BankSimConfig(**settings), clock)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app)
            gateway = HttpBankGateway(
                BANK, MERCHANT, SECRET, timeout=timeout, transport=transport, clock=clock
            )
            stack.push_async_callback(gateway.aclose)
            merchant.gateway = gateway
            browser = httpx.AsyncClient(transport=transport, base_url=BANK)
            await stack.enter_async_context(browser)
            return Bank(clock, gateway, browser, merchant, transport)

        yield open_


@pytest.fixture
async def bank(open_bank: OpenBank) -> Bank:
    return await open_bank()
