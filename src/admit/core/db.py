"""Database engine, declarative base and column types shared by every slice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, Table, event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# A 64-bit key on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
BigIntKey = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table(model: type[Base]) -> Table:
    """A model's table, for Core statements (set-based writes build no ORM objects)."""
    return cast(Table, model.__table__)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python on every backend (SQLite keeps naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


SQLITE_BEGIN_OPTION = "admit_sqlite_begin"


def _install_sqlite_hooks(engine: AsyncEngine) -> None:
    """SQLite: WAL, foreign keys, and BEGIN IMMEDIATE for writers so that two writers queue
    on the database lock instead of failing half-way with SQLITE_BUSY on upgrade."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


PREPARED_PER_CONNECTION = 1000


@dataclass(frozen=True)
class Timeouts:
    """How long the engine waits before a request is told the database is unavailable:
    opening a connection, a free pooled connection, and (PostgreSQL) one statement's answer
    (``None``: no limit, as migrations want)."""

    connect: float = 10.0
    pool: float = 30.0
    command: float | None = None


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    echo: bool = False,
    show_parameters: bool = False,
    timeouts: Timeouts = Timeouts(),  # noqa: B008  (frozen)
) -> AsyncEngine:
    """The engine for ``url``. Bound parameters stay out of error messages and tracebacks
    (they carry phone numbers and names) unless ``show_parameters`` (debugging only).

    No ping before each checkout (a round trip on the hot path): a connection found dead
    raises a disconnect error, on which SQLAlchemy throws away every pooled connection opened
    before it, so the pool holds only new connections once the database is back."""
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url, echo=echo, hide_parameters=not show_parameters, pool_timeout=timeouts.pool
        )
        _install_sqlite_hooks(engine)
        return engine
    connect_args: dict[str, Any] = {
        # The platform sends a few hundred distinct statements; with the driver's default of
        # 100 prepared per connection, a busy process would keep preparing them again.
        "prepared_statement_cache_size": PREPARED_PER_CONNECTION,
        "timeout": timeouts.connect,
    }
    if timeouts.command is not None:
        connect_args["command_timeout"] = timeouts.command
    return create_async_engine(
        url,
        echo=echo,
        hide_parameters=not show_parameters,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        pool_timeout=timeouts.pool,
        connect_args=connect_args,
    )


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """The same pool, for readers: on SQLite a deferred BEGIN so reads do not queue on writers."""
    return engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})


TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})  # serialization, deadlock, lock


def is_transient(exc: BaseException) -> bool:
    """Whether a database error is worth retrying as it is: a deadlock or serialization failure
    on PostgreSQL, a busy database on SQLite. The transaction was rolled back whole."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code in TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(orig or exc)


def out_of_range(exc: BaseException) -> bool:
    """A value the database cannot hold (a 40-digit id, a NUL character in text): the
    request's fault, not ours. The drivers say so differently (SQLite: ``OverflowError``;
    asyncpg: an error of SQLSTATE class 22, "data exception"), so the whole chain of causes
    is looked at."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, OverflowError | DataError):
            return True
        if str(getattr(seen, "sqlstate", "") or "").startswith("22"):  # SQL "data exception"
            return True
        seen = seen.__cause__ or seen.__context__ or getattr(seen, "orig", None)
    return False
