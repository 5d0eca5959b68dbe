"""The Browse pages' pure rules: sale status words, lenient parameters, flash codes, error
texts, the search form and preselected seats."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from admit.web.messages import error_text, flash
from admit.web.params import MAX_ID, optional_date, optional_int
from admit.web.sale_status import PublicStatus, label, public_status
from admit.web.search_page import read_form
from admit.web.session_page import preselected_seats

NOW = datetime(2026, 11, 22, 8, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


@pytest.mark.parametrize(
    ("window", "remaining", "status", "ends", "expected"),
    [
        ("on_sale", 5, "scheduled", LATER, PublicStatus.ON_SALE),
        ("on_sale", 0, "scheduled", LATER, PublicStatus.SOLD_OUT),
        ("not_yet", 0, "scheduled", LATER, PublicStatus.NOT_YET),
        ("ended", 5, "scheduled", LATER, PublicStatus.ENDED),
        ("on_sale", 5, "scheduled", NOW, PublicStatus.ENDED),
        ("on_sale", 5, "ended", LATER, PublicStatus.ENDED),
        ("closed", 5, "scheduled", LATER, PublicStatus.NOT_SOLD_HERE),
        (None, 5, "scheduled", LATER, PublicStatus.NOT_SOLD_HERE),
        ("on_sale", 5, "cancelled", LATER, PublicStatus.CANCELLED),
        ("on_sale", 5, "postponed", LATER, PublicStatus.ON_SALE),
    ],
)
def test_public_status(
    window: str | None, remaining: int, status: str, ends: datetime, expected: PublicStatus
) -> None:
    got = public_status(
        window_state=window,
        remaining=remaining,
        session_status=status,
        session_ends_at=ends,
        now=NOW,
    )
    assert got is expected


def test_every_status_has_words() -> None:
    assert {s: label(s) for s in PublicStatus} == {
        PublicStatus.NOT_YET: "Not on sale yet",
        PublicStatus.ON_SALE: "On sale",
        PublicStatus.SOLD_OUT: "Sold out",
        PublicStatus.ENDED: "Sale ended",
        PublicStatus.NOT_SOLD_HERE: "Not sold online",
        PublicStatus.CANCELLED: "Cancelled",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("0", None),
        ("-3", None),
        ("1e3", None),
        ("١٢", None),  # Arabic-Indic digits are digits to Python, not to us
        ("99999999999999999999", None),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("", None),
        (None, None),
    ],
)
def test_optional_int(text: str | None, expected: int | None) -> None:
    assert optional_int(text) == expected


def test_optional_int_within_bounds() -> None:
    assert optional_int("100", high=100) == 100
    assert optional_int("101", high=100) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("2026-02-30", None),
        ("01-12-2026", None),
        ("2026-12-1", None),
        ("２０２６-12-01", None),
        ("", None),
        (None, None),
    ],
)
def test_optional_date(text: str | None, expected: date | None) -> None:
    assert optional_date(text) == expected


def test_flash_codes() -> None:
    assert flash("payment_declined") == (
        "error",
        "Your payment was declined and the seats were released. You have not been charged.",
    )
    assert flash("signed_in") == ("ok", "You are signed in.")
    assert flash("<b>hi</b>") is None
    assert flash("") is None
    assert flash(None) is None


def test_error_texts_fall_back_by_status() -> None:
    assert error_text("hold_expired", 409).title == "Time ran out"
    assert error_text("whatever", 404).title == "Page not found"
    assert error_text("whatever", 503).title == "Something went wrong"
    assert error_text("whatever", 409).title == "Not possible right now"
    assert error_text("whatever", 422).title == "Something is not right"


def test_search_form_keeps_what_it_understands() -> None:
    form = read_form(
        {
            "q": "  night   film ",
            "category": "cinema",
            "date": "2026-12-02",
            "venue": "3",
            "page": "2",
        }
    )
    assert (form.q, form.category, form.day, form.venue_id, form.page, form.ignored) == (
        "night film",
        "cinema",
        date(2026, 12, 2),
        3,
        2,
        [],
    )
    assert (
        form.link(page=3) == "/search?q=night+film&category=cinema&date=2026-12-02&venue=3&page=3"
    )
    assert form.link(page=1) == "/search?q=night+film&category=cinema&date=2026-12-02&venue=3"


def test_search_text_loses_control_characters() -> None:
    assert read_form({"q": "night\x00 fi\x1blm\u200b"}).q == "night film"


def test_search_form_drops_what_it_cannot_read() -> None:
    form = read_form(
        {"q": "x" * 500, "category": "opera", "date": "soon", "venue": "-1", "page": "1000"}
    )
    assert len(form.q) == 200
    assert (form.category, form.day, form.venue_id, form.page) == ("", None, None, 1)
    assert form.ignored == ["category", "date", "venue"]


def test_preselected_seats_keep_well_formed_keys_up_to_the_limit() -> None:
    assert preselected_seats("A-1,A-1,A 2,<x>,,B-3,C-4", 2) == ["A-1", "B-3"]
    assert preselected_seats("A-1,B-2", 6) == ["A-1", "B-2"]
    assert preselected_seats("", 6) == []
    assert preselected_seats(None, 6) == []
    assert preselected_seats(",".join(f"K{i}" for i in range(500)), 1000) == [
        f"K{i}" for i in range(100)
    ]
