"""Signing in with an OpenID Connect provider in Debian's Chromium against a live ``admit
demo``, whose identity-provider simulator (``/_sim/idp``) is offered as "Demo ID": "Sign in
with Demo ID", sign in on the provider's page, and land back signed in to a new account; an
existing account links the provider from its account page (signed in), after which the
provider signs that account in. Over real HTTP: discovery, the token exchange, userinfo and
the keys are fetched by the server from the simulator."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SIZES, Shots
from tests.browser.site_accounts import PASSWORD, register

WAIT_MS = 20_000


def _sign_in_at_provider(page: Page, username: str, shots: Shots, step: str) -> None:
    page.wait_for_url(re.compile(r"/_sim/idp/authorize\?"), timeout=WAIT_MS)
    expect(page.locator("h1")).to_have_text("Sign in to Demo ID")
    page.fill("#username", username)
    shots.take(page, step)
    page.click("#sign-in")


def test_sign_in_with_the_provider_opens_an_account(
    page: Page, demo_site: str, viewport: str, shots: Shots
) -> None:
    username = f"Tess {viewport} {time.time_ns() % 10**9}"
    email = username.lower().replace(" ", ".") + "@id.example"
    page.goto(demo_site + "/login")
    button = page.locator("#provider-demo-id")
    expect(button).to_have_text("Sign in with Demo ID")
    shots.take(page, "sign-in-page")
    button.click()
    _sign_in_at_provider(page, username, shots, "provider-page")
    page.wait_for_url(re.compile(r"/account\?msg=registered$"), timeout=WAIT_MS)
    expect(page.locator("main")).to_contain_text("Welcome! Your account is ready.")
    expect(page.locator("main")).to_contain_text(f"Signed in as {email}")
    expect(page.locator("#unlink-demo-id")).to_be_visible()
    shots.take(page, "signed-in")


def test_an_account_links_the_provider_signed_in_then_signs_in_with_it(
    page: Page, browser: Browser, demo_site: str, viewport: str, shots: Shots
) -> None:
    phone, _ = register(demo_site, "1381" if viewport == "phone" else "1382")
    username = f"Lin {viewport} {time.time_ns() % 10**9}"
    page.goto(demo_site + "/account")
    page.wait_for_url(re.compile(r"/login\?next="))  # the account page needs signing in
    page.fill("#login", phone)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(re.compile(r"/account$"), timeout=WAIT_MS)
    page.click("#link-demo-id")
    _sign_in_at_provider(page, username, shots, "provider-page")
    page.wait_for_url(re.compile(r"/account\?msg=provider_linked$"), timeout=WAIT_MS)
    expect(page.locator("#unlink-demo-id")).to_be_visible()
    shots.take(page, "linked")

    elsewhere = browser.new_context(viewport=SIZES[viewport])
    try:
        other = elsewhere.new_page()
        other.goto(demo_site + "/login")
        other.click("#provider-demo-id")
        _sign_in_at_provider(other, username, shots, "provider-page-elsewhere")
        other.wait_for_url(re.compile(r"/account$"), timeout=WAIT_MS)
        expect(other.locator("main")).to_contain_text(f"Signed in as {phone}")
        shots.take(other, "signed-in-elsewhere")
    finally:
        elsewhere.close()
