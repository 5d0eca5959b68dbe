"""A real deadlock on PostgreSQL is recognised as transient (answered 503 ``busy`` with
Retry-After, the transaction rolled back whole) and other database errors are not."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from admit.core.db import is_transient
from admit.core.runtime import Runtime
from tests.conftest import TEST_ACTOR


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite cannot deadlock
async def test_a_deadlock_is_transient(runtime: Runtime) -> None:
    async with runtime.uow(TEST_ACTOR) as uow:
        await uow.session.execute(text("CREATE TABLE dl (id int primary key, v int)"))
        await uow.session.execute(text("INSERT INTO dl VALUES (1, 0), (2, 0)"))
    both_locked_first = asyncio.Barrier(2)

    async def worker(first: int, second: int) -> None:
        async with runtime.uow(TEST_ACTOR) as uow:
            await uow.session.execute(text(f"UPDATE dl SET v = v + 1 WHERE id = {first}"))
            await both_locked_first.wait()
            await uow.session.execute(text(f"UPDATE dl SET v = v + 1 WHERE id = {second}"))

    results = await asyncio.gather(worker(1, 2), worker(2, 1), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1
    assert isinstance(failures[0], DBAPIError)
    assert is_transient(failures[0])


async def test_other_errors_are_not_transient(runtime: Runtime) -> None:
    with pytest.raises(DBAPIError) as caught:
        async with runtime.uow(TEST_ACTOR) as uow:
            await uow.session.execute(text("SELECT * FROM no_such_table"))
    assert not is_transient(caught.value)
