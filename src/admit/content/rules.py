"""Pure rules of storefront content: when an announcement shows and which links it may carry."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

MAX_RECOMMENDATIONS = 50


def is_showing(
    *, published: bool, starts_at: datetime, ends_at: datetime | None, now: datetime
) -> bool:
    """Published, started, and not yet ended (an announcement without an end shows on)."""
    return published and starts_at <= now and (ends_at is None or now < ends_at)


def link_problem(url: str) -> str | None:
    """Why ``url`` may not be an announcement's link, or ``None``: a path on this site
    (``/search?q=x``) or an http(s) address; never ``javascript:`` or protocol-relative."""
    if url == "":
        return None
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "a link has no spaces or control characters"
    if url.startswith("/"):
        return "a link to this site starts with a single /" if url.startswith("//") else None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "a link is a path on this site or an http(s) address"
    return None


def dates_problem(starts_at: datetime, ends_at: datetime | None) -> str | None:
    if ends_at is not None and ends_at <= starts_at:
        return "an announcement ends after it starts"
    return None
