"""How `make test` spreads the suite over pytest-xdist's workers (docs/testing.md).

Tests go to workers one at a time, the longest first (those marked ``long``; see the root
conftest's ``pytest_collection_modifyitems``), except for groups that share an expensive
module- or package-wide fixture and so run together on one worker: the page tests (Chromium
and two ``admit demo`` servers; the WebKit and the Firefox journeys are two more such groups),
the command-line tests (one seeded demo) and the demo's own test (its server). xdist's own
``--dist loadgroup`` cannot do this with pytest 9 (it renames node ids, which pytest 9 no
longer allows), so the grouping is by path, in a scheduler of our own."""

from __future__ import annotations

from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

GROUPS = {
    "tests/browser/": "browser",
    "tests/integration/core/test_cli.py": "cli",
    "tests/e2e/test_demo.py": "demo",
}

# The journeys in WebKit and Firefox (tests/browser/test_engine*.py, parametrised by engine)
# wait on their browsers more than on the CPU: two more groups, run beside the Chromium one,
# each with its own demo servers (about 15 s to start).
ENGINE_JOURNEYS = "tests/browser/test_engine"
OTHER_ENGINES = ("webkit", "firefox")


class GroupScheduling(LoadScopeScheduling):
    """xdist's scope scheduling with a scope per group, and per test elsewhere. Larger scopes
    go first (xdist's ``--loadscope-reorder``, the default), then single tests in their
    collection order."""

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.startswith(ENGINE_JOURNEYS):
            for engine in OTHER_ENGINES:  # each engine's journeys on a worker of their own
                if f"[{engine}" in nodeid:
                    return f"browser-{engine}"
        for prefix, group in GROUPS.items():
            if nodeid.startswith(prefix):
                return group
        return nodeid


@pytest.hookimpl(optionalhook=True)  # a plain run (`-p no:xdist`) has no such hook
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> GroupScheduling:
    return GroupScheduling(config, log)
