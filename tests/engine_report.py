"""At the end of a run, one line per browser engine: how many of its journeys passed and
failed (``tests/browser/test_engine*.py``, parametrised by engine), so that ``make test``'s
quiet output still shows each engine was exercised (issue 35)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

ENGINE_TEST = re.compile(r"^tests/browser/test_engine\w*\.py::.*\[(chromium|webkit|firefox)")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts: Counter[tuple[str, str]] = Counter()
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            found = ENGINE_TEST.match(getattr(report, "nodeid", ""))
            if found:
                counts[(found.group(1), outcome)] += 1
    engines = sorted({engine for engine, _ in counts})
    if not engines:
        return
    terminalreporter.section("browser engines")
    for engine in engines:
        line = ", ".join(
            f"{counts[(engine, outcome)]} {outcome}"
            for outcome in ("passed", "failed", "error")
            if counts[(engine, outcome)]
        )
        terminalreporter.write_line(f"{engine}: {line}")
