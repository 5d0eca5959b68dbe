"""Which errors mean the database cannot be reached (answered 503 database_unavailable), and
which are ordinary failures (500 with a traceback, as a bug deserves)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from admit.core.reachability import database_unreachable


class _DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__("driver said no")
        self.sqlstate = sqlstate


def _wrapped(orig: Exception, *, invalidated: bool = False) -> DBAPIError:
    return DBAPIError("SELECT 1", None, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "exc",
    [
        _wrapped(Exception("connection is closed"), invalidated=True),
        _wrapped(_DriverError("08006")),  # connection failure
        _wrapped(_DriverError("57P01")),  # terminating connection: administrator command
        asyncpg.CannotConnectNowError("the database system is shutting down"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed"),
    ],
)
def test_unreachable(exc: BaseException) -> None:
    assert database_unreachable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("SELECT * FROM nowhere", None, Exception("no such table: nowhere")),
        _wrapped(_DriverError("23505")),  # a unique violation
        _wrapped(_DriverError("57014")),  # a statement cancelled by its timeout
        ConnectionRefusedError(111, "an outside service, not the database"),
        TimeoutError(),
        RuntimeError("a bug"),
    ],
)
def test_not_unreachable(exc: BaseException) -> None:
    assert not database_unreachable(exc)


def test_a_refused_connection_raised_by_the_driver_is_unreachable() -> None:
    async def connect() -> None:
        await asyncpg.connect("postgresql://nobody@127.0.0.1:1/none", timeout=1)

    with pytest.raises(ConnectionRefusedError) as caught:
        asyncio.run(connect())
    assert database_unreachable(caught.value)
