"""Clients of the test's app seen as coming from a chosen address (the ASGI transport's client),
for the per-address limits of the on-sale."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI


@asynccontextmanager
async def from_address(app: FastAPI, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app`` whose requests come from ``ip``."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(ip, 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://admit.test") as c:
        yield c


def retry_after(response: httpx.Response) -> int:
    """The whole seconds a refusal asks to wait; fails the test when the header is missing."""
    value = response.headers.get("Retry-After")
    assert value is not None, response.headers
    assert value.isdigit(), value
    return int(value)
