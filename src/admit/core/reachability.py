"""Whether an outside store (the database, Redis) can be reached: which errors mean it cannot,
and one log line when it goes away and one when it is back — never one per request."""

from __future__ import annotations

import errno
import time

import asyncpg
import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import InterfaceError as SAInterfaceError

log = structlog.get_logger(__name__)

# Raised straight from the driver (not wrapped by SQLAlchemy) while connecting: a refused or
# reset socket, a timeout, "the database system is shutting down". Exception handlers are
# registered for these so an outage never reaches the server's catch-all (and its traceback).
DRIVER_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)
# Connection exceptions (class 08), shutting down / crashed / starting up (57P01–57P03), too
# many connections (53300).
_UNREACHABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ETIMEDOUT,
        errno.EPIPE,
    }
)
_DRIVER_MODULES = ("asyncpg", "sqlalchemy")


def _raised_by_driver(exc: BaseException) -> bool:
    """Whether ``exc`` came out of the database driver or pool (a socket error or timeout
    anywhere else — a file, an outside service — is not the database's)."""
    tb = exc.__traceback__
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.startswith(_DRIVER_MODULES):
            return True
        tb = tb.tb_next
    return False


def _one_unreachable(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, SAInterfaceError | asyncpg.InterfaceError) and "closed" in str(exc):
        return True
    state = str(getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None) or "")
    if state.startswith("08") or state in _UNREACHABLE_SQLSTATES:
        return True
    if isinstance(exc, OSError) and _raised_by_driver(exc):
        return isinstance(exc, ConnectionError | TimeoutError) or exc.errno in _NETWORK_ERRNOS
    return False


def database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) says the database cannot be reached right now: the
    request did nothing and may be retried once it is back."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if _one_unreachable(seen):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return False


class Reachability:
    """One store's state in this process. ``lost`` and ``found`` are cheap when nothing
    changes, so callers report every outcome; only a change is logged."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.up = True
        self.refused = 0  # requests answered "unavailable" since it went away
        self._since = 0.0

    def lost(self, exc: BaseException) -> None:
        self.refused += 1
        if not self.up:
            return
        self.up = False
        self._since = time.monotonic()
        log.warning(f"{self.name}_unavailable", error=type(exc).__name__, reason=_short(exc))

    def found(self) -> None:
        if self.up:
            return
        self.up = True
        log.info(
            f"{self.name}_available",
            down_seconds=round(time.monotonic() - self._since, 1),
            refused=self.refused,
        )
        self.refused = 0


def _short(exc: BaseException) -> str:
    """The error's first line, without SQL or parameters."""
    return str(getattr(exc, "orig", None) or exc).split("\n", 1)[0][:160]
