"""Signing in through the identity-provider simulator from the site's pages, over ASGI: the
simulator's app wired to the runtime as the provider ``test-id``, and the steps a browser
takes (start, sign in at the provider, come back)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from admit.accounts.models import Customer, ProviderLink
from admit.accounts.oidc_providers import OidcProvider, OidcProviders
from admit.core.clock import FixedClock
from admit.core.config import OidcProviderSettings
from admit.core.runtime import Runtime
from admit.sims.idp import IdpClient, IdpSimConfig, create_idp_app
from tests.conftest import TEST_ACTOR
from tests.integration.web.checkout_flows import path_of

ISSUER = "http://idp.test"
PROVIDER = "test-id"
CLIENT_ID, CLIENT_SECRET = "admit-web", "idp-secret"


@dataclass
class Idp:
    app: FastAPI
    client: httpx.AsyncClient  # the provider's pages, as the browser reaches them
    runtime: Runtime

    def use(self, **changes: str) -> None:
        """Configure the site's provider differently (issuer, secret…)."""
        fields = {
            "name": PROVIDER,
            "label": "Test ID",
            "issuer": ISSUER,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            **changes,
        }
        transport = httpx.ASGITransport(app=self.app)
        provider = OidcProvider(OidcProviderSettings.model_validate(fields), transport=transport)
        self.runtime.register(OidcProviders, OidcProviders([provider]))

    async def fault(self, **control: object) -> None:
        answer = await self.client.post("/_control", json=control)
        assert answer.status_code == 200, answer.text


def callback_url(runtime: Runtime) -> str:
    return f"{runtime.settings.base_url}/login/with/{PROVIDER}/callback"


@pytest.fixture
async def idp(runtime: Runtime, app: FastAPI, clock: FixedClock) -> AsyncIterator[Idp]:
    sim = create_idp_app(
        IdpSimConfig(
            issuer=ISSUER,
            clients={
                CLIENT_ID: IdpClient(secret=CLIENT_SECRET, redirect_uris=(callback_url(runtime),))
            },
        ),
        clock=clock,
    )
    transport = httpx.ASGITransport(app=sim)
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        found = Idp(sim, client, runtime)
        found.use()
        yield found


async def start(web: httpx.AsyncClient, next_path: str = "") -> str:
    """Press "Sign in with Test ID": the provider's authorization URL the site redirects to."""
    query = f"?next={next_path}" if next_path else ""
    response = await web.get(f"/login/with/{PROVIDER}{query}")
    assert response.status_code == 303, response.text
    url = response.headers["location"]
    assert url.startswith(f"{ISSUER}/authorize?"), url
    return url


async def sign_in_at_provider(
    idp: Idp, authorize_url: str, username: str, email: str = ""
) -> dict[str, str]:
    """Sign in on the provider's page: the query the provider sends the browser back with."""
    page = await idp.client.get(authorize_url)
    assert page.status_code == 200, page.text
    request = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    answer = await idp.client.post(
        "/authorize", data={**request, "username": username, "email": email, "action": "sign_in"}
    )
    assert answer.status_code == 303, answer.text
    back = answer.headers["location"]
    assert back.startswith(callback_url(idp.runtime) + "?"), back
    return {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}


async def come_back(web: httpx.AsyncClient, answer: dict[str, str]) -> httpx.Response:
    """The browser follows the provider's redirect to the site's callback."""
    return await web.get(path_of(f"/login/with/{PROVIDER}/callback"), params=answer)


async def accounts_and_links(runtime: Runtime) -> tuple[int, list[tuple[int, str, str]]]:
    """(number of customers, every link as (customer, provider, subject))."""
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        customers = await uow.session.scalar(select(func.count()).select_from(Customer))
        links = await uow.session.execute(
            select(ProviderLink.customer_id, ProviderLink.provider, ProviderLink.subject).order_by(
                ProviderLink.id
            )
        )
        return int(customers or 0), [(c, p, s) for c, p, s in links]


def error_code(page: httpx.Response) -> str:
    marker = 'data-error-code="'
    start_at = page.text.find(marker)
    assert start_at >= 0, page.text[:500]
    return page.text[start_at + len(marker) :].split('"', 1)[0]
