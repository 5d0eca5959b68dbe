"""When announcements show and which links they may carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admit.content.rules import dates_problem, is_showing, link_problem

NOW = datetime(2026, 11, 22, 8, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("published", "starts", "ends", "shows"),
    [
        (True, NOW - HOUR, None, True),
        (True, NOW, None, True),
        (True, NOW + HOUR, None, False),
        (True, NOW - HOUR, NOW, False),
        (True, NOW - HOUR, NOW + HOUR, True),
        (False, NOW - HOUR, None, False),
    ],
)
def test_is_showing(published: bool, starts: datetime, ends: datetime | None, shows: bool) -> None:
    assert is_showing(published=published, starts_at=starts, ends_at=ends, now=NOW) is shows


@pytest.mark.parametrize(
    "url", ["", "/", "/search?q=football", "https://example.com/x", "http://example.com"]
)
def test_good_links(url: str) -> None:
    assert link_problem(url) is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("javascript:alert(1)", "a link is a path on this site or an http(s) address"),
        ("//evil.example", "a link to this site starts with a single /"),
        ("https://", "a link is a path on this site or an http(s) address"),
        ("search", "a link is a path on this site or an http(s) address"),
        ("/a b", "a link has no spaces or control characters"),
        ("/a\x00", "a link has no spaces or control characters"),
    ],
)
def test_bad_links(url: str, problem: str) -> None:
    assert link_problem(url) == problem


def test_dates() -> None:
    assert dates_problem(NOW, None) is None
    assert dates_problem(NOW, NOW + HOUR) is None
    assert dates_problem(NOW, NOW) == "an announcement ends after it starts"
