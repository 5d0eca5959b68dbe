"""Signing in with an OpenID Connect provider (issue 27, item 4; G2) through the simulator, on
SQLite and PostgreSQL: a new identity opens an account and signs it in, a known one signs the
same account in; a forged or replayed state, a wrong issuer (discovery or ID token), a replayed
or late code, a wrong nonce and a wrong client secret are refused with nothing changed; a
provider is linked to an existing account only from that account, signed in."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from admit.accounts import customers
from admit.accounts.models import Customer
from admit.accounts.oidc_providers import DISCOVERY
from admit.core import audit
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.sims.idp import subject_of
from admit.web.auth import SESSION_COOKIE
from admit.web.provider_sign_in import FLOW_COOKIE
from tests.conftest import T0, TEST_ACTOR
from tests.integration.web.checkout_flows import browser, location, make_customer, sign_in
from tests.integration.web.provider_flows import (
    ISSUER,
    PROVIDER,
    Idp,
    accounts_and_links,
    come_back,
    error_code,
    sign_in_at_provider,
    start,
)


async def _audited(runtime: Runtime, customer_id: int) -> list[str]:
    async with runtime.uow(TEST_ACTOR) as uow:
        await audit.chain_pending(uow)
        rows = await uow.session.scalars(
            select(audit.AuditEntry.action)
            .where(
                audit.AuditEntry.entity_type == "customer",
                audit.AuditEntry.entity_id == str(customer_id),
            )
            .order_by(audit.AuditEntry.seq)
        )
        return list(rows)


async def test_a_new_identity_opens_an_account_and_signs_it_in_again_later(
    web: httpx.AsyncClient, runtime: Runtime, idp: Idp, app: FastAPI
) -> None:
    page = await web.get("/login")
    assert f'href="/login/with/{PROVIDER}"' in page.text
    assert "Sign in with Test ID" in page.text

    answer = await sign_in_at_provider(idp, await start(web, "/sessions/7"), "Alice Wong")
    back = await come_back(web, answer)
    assert location(back) == "/sessions/7"
    assert back.cookies.get(SESSION_COOKIE)
    assert web.cookies.get(FLOW_COOKIE) is None  # the pending sign-in is over
    count, links = await accounts_and_links(runtime)
    assert count == 1
    [(customer_id, provider, subject)] = links
    assert (provider, subject) == (PROVIDER, subject_of(ISSUER, "Alice Wong"))
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        customer = await uow.session.get(Customer, customer_id)
        assert customer is not None
        assert customer.email == "alice.wong@id.example"  # verified at the provider
        assert customer.password_hash is None
    account = await web.get("/account")
    assert account.status_code == 200
    assert "Signed in as alice.wong@id.example" in account.text
    assert f'id="unlink-{PROVIDER}"' in account.text

    async with browser(app) as again:  # another browser, later: the same account
        answer = await sign_in_at_provider(idp, await start(again), "alice wong")
        assert location(await come_back(again, answer)) == "/account"
        assert (await again.get("/account")).status_code == 200
    assert await accounts_and_links(runtime) == (1, links)
    assert await _audited(runtime, customer_id) == [
        "customer.registered",
        "customer.provider_linked",
        "customer.provider_sign_in",
    ]


async def test_a_forged_state_is_refused_and_nothing_is_made(
    web: httpx.AsyncClient, runtime: Runtime, idp: Idp
) -> None:
    answer = await sign_in_at_provider(idp, await start(web), "mallory")
    forged = await come_back(web, {**answer, "state": "forged-state"})
    assert forged.status_code == 400
    assert error_code(forged) == "sign_in_state_mismatch"
    assert "Sign-in not recognised" in forged.text
    assert SESSION_COOKIE not in forged.cookies
    assert await accounts_and_links(runtime) == (0, [])
    # The pending sign-in is spent: the genuine answer afterwards is refused too.
    late = await come_back(web, answer)
    assert late.status_code == 400
    assert error_code(late) == "sign_in_state_mismatch"
    assert await accounts_and_links(runtime) == (0, [])


async def test_an_answer_for_another_browser_is_refused(
    web: httpx.AsyncClient, runtime: Runtime, idp: Idp, app: FastAPI
) -> None:
    """Login CSRF: an attacker's genuine answer, sent to the victim's browser (which started
    no sign-in, or its own)."""
    answer = await sign_in_at_provider(idp, await start(web), "attacker")
    async with browser(app) as victim:
        refused = await come_back(victim, answer)
        assert refused.status_code == 400
        assert error_code(refused) == "sign_in_state_mismatch"
        await start(victim)
        refused = await come_back(victim, answer)
        assert error_code(refused) == "sign_in_state_mismatch"
    assert await accounts_and_links(runtime) == (0, [])


async def test_a_wrong_issuer_is_refused_in_discovery_and_in_the_id_token(
    web: httpx.AsyncClient, runtime: Runtime, idp: Idp
) -> None:
    # The simulator's discovery document names it http://idp.test.
    idp.use(issuer="http://accounts.example", discovery_url=f"{ISSUER}{DISCOVERY}")
    refused = await web.get(f"/login/with/{PROVIDER}")
    assert refused.status_code == 400
    assert error_code(refused) == "provider_wrong_issuer"

    idp.use()
    await idp.fault(token_issuer="http://evil.example")
    answer = await sign_in_at_provider(idp, await start(web), "alice")
    refused = await come_back(web, answer)
    assert refused.status_code == 400
    assert error_code(refused) == "provider_wrong_issuer"
    assert SESSION_COOKIE not in refused.cookies
    assert await accounts_and_links(runtime) == (0, [])


@pytest.mark.parametrize(
    "fault",
    [{"wrong_nonce": True}, {"token_audience": "another-app"}, {"forged_signature": True}],
    ids=["nonce", "audience", "signature"],
)
async def test_an_id_token_with_a_wrong_nonce_audience_or_signature_is_refused(
    web: httpx.AsyncClient, runtime: Runtime, idp: Idp, fault: dict[str, object]
) -> None:
    await idp.fault(**fault)
    refused = await come_back(web, await sign_in_at_provider(idp, await start(web), "alice"))
    assert refused.status_code == 400
    assert error_code(refused) == "provider_token_invalid"
    assert await accounts_and_links(runtime) == (0, [])


async def test_a_code_is_good_once_and_briefly(
    web: httpx.AsyncClient, runtime: Runtime, idp: Idp, clock: FixedClock
) -> None:
    answer = await sign_in_at_provider(idp, await start(web), "alice")
    assert location(await come_back(web, answer)) == "/account?msg=registered"
    before = await accounts_and_links(runtime)
    web.cookies.delete(SESSION_COOKIE)

    # The used code again, under a fresh state of this browser: the provider refuses it.
    fresh = await sign_in_at_provider(idp, await start(web), "bob")
    replayed = await come_back(web, {"code": answer["code"], "state": fresh["state"]})
    assert replayed.status_code == 400
    assert error_code(replayed) == "provider_refused"

    late = await sign_in_at_provider(idp, await start(web), "carol")
    clock.advance(timedelta(seconds=61))  # codes last a minute
    refused = await come_back(web, late)
    assert error_code(refused) == "provider_refused"
    assert await accounts_and_links(runtime) == before


async def test_a_wrong_client_secret_or_a_cancelled_sign_in_signs_nobody_in(
    web: httpx.AsyncClient, runtime: Runtime, idp: Idp
) -> None:
    idp.use(client_secret="not-the-secret")
    refused = await come_back(web, await sign_in_at_provider(idp, await start(web), "alice"))
    assert refused.status_code == 400
    assert error_code(refused) == "provider_refused"

    idp.use()
    url = await start(web)
    request = dict(httpx.URL(url).params)
    cancelled = await idp.client.post("/authorize", data={**request, "action": "cancel"})
    back = httpx.URL(cancelled.headers["location"])
    assert back.params["error"] == "access_denied"
    refused = await come_back(web, dict(back.params))
    assert error_code(refused) == "provider_refused"
    assert await accounts_and_links(runtime) == (0, [])


async def test_linking_a_provider_needs_the_account_signed_in(
    web: httpx.AsyncClient, runtime: Runtime, idp: Idp, app: FastAPI
) -> None:
    customer_id = await make_customer(runtime, "13900000021")
    async with runtime.uow(TEST_ACTOR) as uow:
        customer = await uow.session.get(Customer, customer_id)
        assert customer is not None
        customer.email = "dana@id.example"

    # Not signed in, the provider's (verified) e-mail is not enough to reach the account.
    refused = await come_back(web, await sign_in_at_provider(idp, await start(web), "dana"))
    assert refused.status_code == 409
    assert error_code(refused) == "provider_email_in_use"
    assert await accounts_and_links(runtime) == (1, [])

    await sign_in(web, "13900000021")
    account = await web.get("/account")
    assert f'id="link-{PROVIDER}"' in account.text
    linked = await come_back(web, await sign_in_at_provider(idp, await start(web), "dana"))
    assert location(linked) == "/account?msg=provider_linked"
    assert await accounts_and_links(runtime) == (
        1,
        [(customer_id, PROVIDER, subject_of(ISSUER, "dana"))],
    )
    assert "customer.provider_linked" in await _audited(runtime, customer_id)

    async with browser(app) as other:  # later, elsewhere: the provider signs that account in
        assert (
            location(
                await come_back(other, await sign_in_at_provider(idp, await start(other), "dana"))
            )
            == "/account"
        )
        assert "Signed in as 13900000021" in (await other.get("/account")).text


async def test_an_identity_linked_to_one_account_is_not_linked_to_another(
    web: httpx.AsyncClient, runtime: Runtime, idp: Idp, app: FastAPI
) -> None:
    async with browser(app) as first:
        await come_back(first, await sign_in_at_provider(idp, await start(first), "erin"))
    before = await accounts_and_links(runtime)
    await make_customer(runtime, "13900000022")
    await sign_in(web, "13900000022")
    refused = await come_back(web, await sign_in_at_provider(idp, await start(web), "erin"))
    assert refused.status_code == 409
    assert error_code(refused) == "provider_linked_elsewhere"
    assert await accounts_and_links(runtime) == (before[0] + 1, before[1])


async def test_unlinking_keeps_a_way_to_sign_in(
    web: httpx.AsyncClient, runtime: Runtime, idp: Idp
) -> None:
    customer_id = await make_customer(runtime, "13900000023")
    await sign_in(web, "13900000023")
    await come_back(web, await sign_in_at_provider(idp, await start(web), "fay"))
    unlinked = await web.post(f"/account/providers/{PROVIDER}/unlink")
    assert location(unlinked) == "/account?msg=provider_unlinked"
    assert await accounts_and_links(runtime) == (1, [])
    assert "customer.provider_unlinked" in await _audited(runtime, customer_id)

    # An account opened with an unverified e-mail has no login but the provider.
    web.cookies.clear()
    await idp.fault(email_verified=False)
    made = await come_back(web, await sign_in_at_provider(idp, await start(web), "gus"))
    assert location(made) == "/account?msg=registered"
    assert "Signed in with Test ID" in (await web.get("/account")).text
    refused = await web.post(f"/account/providers/{PROVIDER}/unlink")
    assert refused.status_code == 409
    assert error_code(refused) == "last_way_to_sign_in"
    assert len((await accounts_and_links(runtime))[1]) == 1


async def test_an_account_locked_by_an_operator_is_not_signed_in_by_its_provider(
    web: httpx.AsyncClient, runtime: Runtime, idp: Idp, app: FastAPI
) -> None:
    async with browser(app) as first:
        await come_back(first, await sign_in_at_provider(idp, await start(first), "hal"))
    [(customer_id, _, _)] = (await accounts_and_links(runtime))[1]
    async with runtime.uow(TEST_ACTOR) as uow:
        await customers.set_locked(uow, customer_id=customer_id, locked=True, now=T0)
    refused = await come_back(web, await sign_in_at_provider(idp, await start(web), "hal"))
    assert refused.status_code == 423
    assert error_code(refused) == "account_locked"
    assert SESSION_COOKIE not in refused.cookies
