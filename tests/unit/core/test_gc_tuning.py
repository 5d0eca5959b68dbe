"""A server process collects young objects less often and never rescans what startup made."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from admit.core.gc_tuning import tune_for_serving


@pytest.fixture
def restored_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("restored_gc")
def test_serving_raises_the_young_threshold_and_freezes_startup_objects() -> None:
    tune_for_serving(100_000)
    assert gc.get_threshold()[0] == 100_000
    assert gc.get_freeze_count() > 0


@pytest.mark.usefixtures("restored_gc")
def test_zero_keeps_pythons_own_settings() -> None:
    before = gc.get_threshold()
    tune_for_serving(0)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
