"""The identity-provider simulator refuses what a real provider refuses: an unregistered
redirect_uri (a page, no redirect), a request without PKCE, a wrong client secret, a wrong code
verifier, a code used twice; and its ID tokens verify against its published keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from admit.core.clock import FixedClock
from admit.sims.idp import IdpClient, IdpSimConfig, create_idp_app, s256, subject_of

ISSUER = "http://idp.test"
BACK = "http://shop.test/callback"
VERIFIER = "v" * 50


def _request(**changes: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "shop",
        "redirect_uri": BACK,
        "scope": "openid email",
        "state": "st-1",
        "nonce": "n-1",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
        **changes,
    }


@pytest.fixture
async def idp() -> AsyncIterator[httpx.AsyncClient]:
    app = create_idp_app(
        IdpSimConfig(issuer=ISSUER, clients={"shop": IdpClient("s3cret", (BACK,))}),
        clock=FixedClock(datetime(2026, 12, 7, 12, 0, tzinfo=UTC)),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ISSUER) as client:
        yield client


async def _code(idp: httpx.AsyncClient) -> str:
    answer = await idp.post("/authorize", data={**_request(), "username": "ann"})
    assert answer.status_code == 303
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def _token_form(code: str, **changes: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": BACK,
        "code_verifier": VERIFIER,
        **changes,
    }


async def test_an_unregistered_redirect_uri_gets_a_page_not_a_redirect(
    idp: httpx.AsyncClient,
) -> None:
    for refused in (_request(redirect_uri="http://evil.test/cb"), _request(client_id="nobody")):
        page = await idp.get("/authorize?" + urlencode(refused))
        assert page.status_code == 400
        assert "location" not in page.headers
    no_pkce = await idp.get("/authorize?" + urlencode(_request(code_challenge_method="plain")))
    assert no_pkce.headers["location"] == f"{BACK}?error=invalid_request&state=st-1"
    form = await idp.get("/authorize?" + urlencode(_request()))
    assert form.status_code == 200
    assert 'id="username"' in form.text


async def test_the_token_endpoint_checks_the_client_the_verifier_and_spends_the_code(
    idp: httpx.AsyncClient,
) -> None:
    code = await _code(idp)
    wrong_secret = await idp.post("/token", data=_token_form(code), auth=("shop", "guess"))
    assert (wrong_secret.status_code, wrong_secret.json()["error"]) == (401, "invalid_client")
    # A refused client did not spend the code; a wrong verifier does.
    wrong_verifier = await idp.post(
        "/token", data=_token_form(code, code_verifier="w" * 50), auth=("shop", "s3cret")
    )
    assert (wrong_verifier.status_code, wrong_verifier.json()["error"]) == (400, "invalid_grant")
    again = await idp.post("/token", data=_token_form(code), auth=("shop", "s3cret"))
    assert again.json()["error"] == "invalid_grant"

    code = await _code(idp)
    good = await idp.post(
        "/token", data=_token_form(code, client_id="shop", client_secret="s3cret")
    )
    assert good.status_code == 200, good.text
    keys = KeySet.import_key_set((await idp.get("/jwks")).json())
    claims = jwt.decode(good.json()["id_token"], keys, algorithms=["RS256"]).claims
    assert (claims["iss"], claims["aud"], claims["nonce"]) == (ISSUER, "shop", "n-1")
    assert claims["sub"] == subject_of(ISSUER, "ann")
    bearer = {"Authorization": f"Bearer {good.json()['access_token']}"}
    assert (await idp.get("/userinfo", headers=bearer)).json()["sub"] == claims["sub"]
    replay = await idp.post("/token", data=_token_form(code), auth=("shop", "s3cret"))
    assert replay.json()["error"] == "invalid_grant"
    metadata = (await idp.get("/.well-known/openid-configuration")).json()
    assert metadata["issuer"] == ISSUER
    assert metadata["token_endpoint"] == f"{ISSUER}/token"
