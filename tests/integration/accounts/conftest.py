"""Fixtures the accounts tests share: those of the data-rewriting migrations' tests; an anonymous
browser and a signed-in customer (the customer and identity tests); a plain client and recorded
e-mail (the personal-data tests). A test file's own fixture of the same name wins for its tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from admit.core.runtime import Runtime
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.customer_flows import bearer, open_client, register_phone
from tests.integration.accounts.identity_documents import PHONES
from tests.integration.accounts.migration_fixtures import empty_url, keys  # noqa: F401
from tests.integration.accounts.people_factories import (
    RecordingEmail,
    plain_client,
    use_recording_email,
)


@pytest.fixture
async def web(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous browser (the conftest ``client`` carries the admin token once ``admin`` is
    used in a test)."""
    async with open_client(runtime) as c:
        yield c


@pytest.fixture
async def customer(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> dict[str, str]:
    """The signed-in customer's auth header."""
    return bearer(await register_phone(web, runtime, sms, PHONES[0]))


@pytest.fixture
async def http(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with plain_client(runtime) as c:
        yield c


@pytest.fixture
def mail(runtime: Runtime) -> RecordingEmail:
    return use_recording_email(runtime)
