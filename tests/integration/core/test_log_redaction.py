"""What a failing statement leaves in the log: the SQL, never the values bound to it (a phone
number, a name), unless ``ADMIT_SQL_LOG_PARAMETERS`` is switched on for debugging."""

from __future__ import annotations

from pathlib import Path

import pytest
import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from admit.core.config import Settings
from admit.core.logging import configure_logging
from admit.core.runtime import Runtime
from tests.conftest import TEST_ACTOR

PHONE = "13812345678"


async def _logged_failure(rt: Runtime, capsys: pytest.CaptureFixture[str]) -> str:
    """The log of a statement that fails with ``PHONE`` bound to it, written as the HTTP
    error handlers write an unexpected error (``log.exception``, traceback included)."""
    configure_logging(rt.settings)
    log = structlog.get_logger("test")
    with pytest.raises(DBAPIError) as caught:
        async with rt.uow(TEST_ACTOR) as uow:
            await uow.session.execute(
                text("SELECT id FROM no_such_table WHERE phone = :phone"), {"phone": PHONE}
            )
    try:
        raise caught.value
    except DBAPIError:
        log.exception("unhandled_error", path="/api/v1/test")
    return capsys.readouterr().out + str(caught.value)


async def test_a_failing_statement_logs_no_parameter_values(
    runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    logged = await _logged_failure(runtime, capsys)
    assert "no_such_table" in logged  # the statement is there to debug with
    assert "unhandled_error" in logged
    assert PHONE not in logged
    assert "SQL parameters hidden" in logged


async def test_parameters_show_only_when_asked_for(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rt = Runtime.from_settings(
        Settings(data_dir=tmp_path, database_url=db_url, sql_log_parameters=True)
    )
    try:
        logged = await _logged_failure(rt, capsys)
    finally:
        await rt.close()
    assert PHONE in logged
