"""Attach the subprocesses' logs to the report of a failing end-to-end test."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from tests.e2e.harness import Cluster


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        funcargs = getattr(item, "funcargs", {})
        for value in funcargs.values():
            if isinstance(value, Cluster):
                report.sections.append(("admit process logs", value.logs()))
    return report
