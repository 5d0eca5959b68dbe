"""Friendly words for what the account pages refuse: sign-in, registration, holder filing and
delivery address errors by their stable code. Pure: no request, no database."""

from __future__ import annotations

from admit.core.errors import AdmitError

REFUSALS: dict[str, str] = {
    "unauthorized": "That login and password do not match. Please try again.",
    "account_locked": (
        "This account is locked for a while after too many wrong passwords. "
        "Sign in with a code sent to your phone or e-mail, or reset the password."
    ),
    "too_many_attempts": ("Too many attempts from here. Please wait a few minutes and try again."),
    "password_expired": (
        "Your password has expired: please reset it with a code sent to your phone or e-mail."
    ),
    "wrong_code": "That code is not right, or it has expired. Check it or ask for a new one.",
    "already_exists": "There is already an account with this phone or e-mail: please sign in.",
    "holder_limit": "You have as many ticket holders as an account may have.",
    "address_limit": (
        "You have as many delivery addresses as an account may keep: remove one to add another."
    ),
}


def refusal_text(error: AdmitError) -> str:
    """The sentence shown on the form. Errors whose message is written for people (a weak
    password's reasons, an invalid document) keep their own message."""
    if error.code in REFUSALS:
        return REFUSALS[error.code]
    message = error.message.strip()
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


# Why a holder's document was rejected, in a buyer's words (the reason the identity service or
# a reviewer gave). A reviewer's own words are shown as written.
HOLDER_REASONS: dict[str, str] = {
    "public-security check: inconsistent": (
        "The name does not match this ID number. Check the name as written on the card."
    ),
    "public-security check: no_such_number": (
        "There is no ID card with this number. Check the number."
    ),
    "the name does not match the document": (
        "The name does not match this document. Check the name as written on it."
    ),
}


def holder_reason_text(reason: str | None) -> str:
    """Why a filed document was rejected, for the holders page."""
    if not reason:
        return "The document could not be verified."
    return HOLDER_REASONS.get(reason, reason[:1].upper() + reason[1:].rstrip(".") + ".")
