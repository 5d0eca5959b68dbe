"""Pure pieces of the checkout pages: where a sign-in may send the browser next, and the
words shown for refusals."""

from __future__ import annotations

import pytest

from admit.accounts.security import AccountLocked, WeakPassword
from admit.core.errors import InvalidInput
from admit.web.auth import safe_next
from admit.web.refusals import refusal_text


@pytest.mark.parametrize(
    "value",
    [
        "",
        "account",
        "//evil.test/",
        "/\\evil.test",
        "https://evil.test/",
        "http:/evil.test",
        "/\t/evil.test",
        "/\n/evil.test",
        "/x\x00",
        "/" + "a" * 2000,
        "javascript:alert(1)",
    ],
)
def test_next_outside_this_site_goes_to_the_account(value: str) -> None:
    assert safe_next(value) == "/account"
    assert safe_next(value, "") == ""


@pytest.mark.parametrize(
    "value",
    ["/", "/account/holders", "/sessions/7?seats=A-1%2CA-2", "/sessions/7?level=B&quantity=3"],
)
def test_a_path_of_this_site_is_kept(value: str) -> None:
    assert safe_next(value) == value


def test_refusals_read_as_sentences() -> None:
    assert refusal_text(AccountLocked("the account is locked")) == (
        "This account is locked for a while after too many wrong passwords. "
        "Sign in with a code sent to your phone or e-mail, or reset the password."
    )
    weak = WeakPassword("password too weak: at least 10 characters")
    assert refusal_text(weak) == "Password too weak: at least 10 characters."
    assert refusal_text(InvalidInput("already a sentence.")) == "Already a sentence."
