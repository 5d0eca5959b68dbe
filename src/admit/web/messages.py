"""Friendly words for the storefront: flash messages by code (``?msg=``) and error pages by
error code. Pure: no request, no database."""

from __future__ import annotations

from dataclasses import dataclass

# Codes a page may be sent back with (``/sessions/7?msg=seats_taken``). Unknown codes show
# nothing: the query string never reaches the page as text.
FLASH: dict[str, tuple[str, str]] = {
    "seats_taken": ("error", "Sorry, some of those seats were just taken. Please pick others."),
    "seat_reserved": (
        "error",
        "Some of those seats are reserved for a client for now. Please pick others.",
    ),
    "sold_out": ("error", "Sorry, there are not enough tickets left for that choice."),
    "limit_exceeded": (
        "error",
        "That is more tickets than one person may buy for this session.",
    ),
    "not_on_sale": ("error", "Tickets for this session are not on sale right now."),
    "channel_closed": ("error", "Tickets for this session are not on sale on the website."),
    "hold_expired": (
        "error",
        "Your seats were held for a limited time and that time ran out. Please choose again.",
    ),
    "payment_declined": (
        "error",
        "Your payment was declined and the seats were released. You have not been charged.",
    ),
    "payment_cancelled": ("info", "Payment cancelled: the seats were released."),
    "hold_cancelled": ("info", "You cancelled this hold: its seats were released."),
    "real_name_required": (
        "error",
        "This session needs a verified name on every ticket.",
    ),
    "no_seats": ("error", "Choose at least one seat, or a number of tickets."),
    "pass_seat_taken": (
        "error",
        "Sorry, the pass's seat is no longer free in every one of its sessions.",
    ),
    "pass_sold_out": ("error", "Sorry, this pass is sold out."),
    "verify_first": (
        "info",
        "This session sells real-name tickets: verify your own identity first. Your choice is "
        "held right after, so the time to pay starts then.",
    ),
    "signed_in": ("ok", "You are signed in."),
    "signed_out": ("ok", "You are signed out."),
    "registered": ("ok", "Welcome! Your account is ready."),
    "paid": ("ok", "Thank you! Your payment went through."),
    "provider_linked": ("ok", "Linked: you can now sign in with that account too."),
    "provider_unlinked": ("ok", "Unlinked: that account no longer signs you in here."),
    "refund_requested": ("ok", "Your refund request was received: we tell you when it is done."),
}


def flash(code: str | None) -> tuple[str, str] | None:
    """The (kind, text) of a flash code, kind one of ``ok``/``info``/``error``; ``None`` if
    unknown."""
    if not code:
        return None
    return FLASH.get(code)


@dataclass(frozen=True, slots=True)
class ErrorText:
    title: str
    message: str


ERROR_PAGES: dict[str, ErrorText] = {
    "sold_out": ErrorText(
        "Sold out", "Sorry, there are no tickets left for this choice. Try another session."
    ),
    "seats_taken": ErrorText(
        "Those seats are gone", "Someone was quicker. Please go back and choose other seats."
    ),
    "seat_reserved": ErrorText(
        "Those seats are reserved",
        "They are kept for a client for now. Please go back and choose other seats.",
    ),
    "hold_expired": ErrorText(
        "Time ran out",
        "Seats are held for a limited time while you pay, and that time has passed. "
        "The seats were released; please choose again.",
    ),
    "not_on_sale": ErrorText(
        "Not on sale", "Tickets for this session are not on sale at the moment."
    ),
    "channel_closed": ErrorText(
        "Not on sale here", "Tickets for this session are not sold on the website."
    ),
    "limit_exceeded": ErrorText(
        "Too many tickets", "That is more tickets than one person may buy for this session."
    ),
    "not_found": ErrorText(
        "Page not found", "We could not find that page. It may have moved or never existed."
    ),
    "unauthorized": ErrorText("Please sign in", "You need to sign in to see this page."),
    "forbidden": ErrorText("Not allowed", "You are not allowed to see this page."),
    "method_not_allowed": ErrorText("Not allowed", "That action is not possible on this page."),
    "invalid_input": ErrorText(
        "Something is not right", "We could not understand that request. Please check it."
    ),
    "busy": ErrorText("Very busy", "Many people are buying right now. Please try again."),
    "database_unavailable": ErrorText(
        "Back in a moment",
        "We cannot reach our records right now. Nothing was changed; please try again in a "
        "few seconds.",
    ),
    "rate_limited": ErrorText(
        "Too many tries", "Too many requests came from here. Please wait a minute and try again."
    ),
    "account_too_new": ErrorText(
        "Your account is brand new",
        "New accounts can hold seats a few minutes after they are opened. Please try again soon.",
    ),
    "device_already_queued": ErrorText(
        "Already in the queue",
        "Someone else has joined this queue from this browser. Each browser holds one place.",
    ),
    "sign_in_state_mismatch": ErrorText(
        "Sign-in not recognised",
        "That answer does not belong to a sign-in started in this browser, or it came too "
        "late. Nothing was changed; please start signing in again.",
    ),
    "provider_wrong_issuer": ErrorText(
        "Sign-in refused",
        "The answer did not come from the provider we expected. Nothing was changed.",
    ),
    "provider_token_invalid": ErrorText(
        "Sign-in refused",
        "The provider's answer could not be verified. Nothing was changed; please try again.",
    ),
    "provider_refused": ErrorText(
        "Not signed in", "The provider did not sign you in (cancelled or refused)."
    ),
    "provider_unavailable": ErrorText(
        "Provider unavailable",
        "We cannot reach that sign-in provider right now. Please try again later, or sign in "
        "another way.",
    ),
    "unknown_provider": ErrorText(
        "No such sign-in", "We do not offer signing in with that provider."
    ),
    "provider_email_in_use": ErrorText(
        "You already have an account",
        "An account with this provider's e-mail exists. Sign in to it (with its password or "
        "a code), then link the provider on your account page.",
    ),
    "provider_linked_elsewhere": ErrorText(
        "Linked to another account",
        "That provider account already signs in another account here. Sign in there and "
        "unlink it first.",
    ),
    "provider_already_linked": ErrorText(
        "Already linked",
        "Your account is linked to another account at that provider. Unlink it first.",
    ),
    "last_way_to_sign_in": ErrorText(
        "Cannot unlink",
        "This is the only way to sign in to your account, so it stays linked.",
    ),
    "account_locked": ErrorText("Account locked", "This account is locked."),
    "internal_error": ErrorText(
        "Something went wrong",
        "Something went wrong on our side. It is not your fault; please try again later.",
    ),
}


def error_text(code: str, status: int) -> ErrorText:
    """Friendly words for an error code; a general text by status for codes without their own."""
    if code in ERROR_PAGES:
        return ERROR_PAGES[code]
    if status == 404:
        return ERROR_PAGES["not_found"]
    if status >= 500:
        return ERROR_PAGES["internal_error"]
    if status == 409:
        return ErrorText("Not possible right now", "That cannot be done right now.")
    return ERROR_PAGES["invalid_input"]


# What a buyer reads for a stored status (never "captured"): by kind of thing.
STATUS_WORDS: dict[str, dict[str, str]] = {
    "payment": {
        "created": "started",
        "pending": "waiting for the bank",
        "captured": "paid",
        "declined": "declined by the bank",
        "cancelled": "cancelled",
        "closed": "closed",
        "expired": "expired",
        "refunded": "refunded",
    },
    "ticket": {"valid": "valid", "void": "cancelled", "refunded": "refunded", "used": "used"},
    "holder": {"verified": "verified", "pending": "being checked", "rejected": "not verified"},
}


def status_words(value: str, kind: str) -> str:
    """A status in words for ``kind`` (payment, ticket, holder); an unknown one with its
    underscores as spaces."""
    return STATUS_WORDS.get(kind, {}).get(value, value.replace("_", " "))
