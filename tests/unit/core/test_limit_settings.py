"""The abuse limits refuse values that would make every throttled request fail: a bucket needs
at least one token, so a limit of 0 is refused when settings load, not at the first hold."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from admit.core.config import Settings

LIMITS = sorted(
    name
    for name, field in Settings.model_fields.items()
    if name.startswith("limit_") and field.annotation is int  # budgets, not the exempt networks
)


def test_there_are_limits_to_check() -> None:
    assert "limit_holds_per_address_minute" in LIMITS


@pytest.mark.parametrize("name", LIMITS)
def test_a_limit_of_zero_is_refused_at_start(name: str) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings(**{name: 0})  # type: ignore[arg-type]
    assert getattr(Settings(**{name: 1}), name) == 1  # type: ignore[arg-type]


def test_a_negative_new_account_delay_is_refused() -> None:
    with pytest.raises(ValidationError, match="new_account_hold_delay_seconds"):
        Settings(new_account_hold_delay_seconds=-1)
