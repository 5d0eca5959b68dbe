"""The platform's reconciling mode (issue 34, item 5): after a restore, payments made since the
backup exist only at the bank until they are reconciled. While the mode is on — a row in
``platform_mode``, so every process sees it — sales refuse (503 ``reconciling``) and the worker
runs only the reconciliation. Each process reads the row at most once a second."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import String, delete
from sqlalchemy.orm import Mapped, mapped_column

from admit.core import audit
from admit.core.db import Base, UTCDateTime
from admit.core.errors import AdmitError
from admit.core.short_cache import ShortCache, cache_of, forget_on_commit
from admit.core.uow import UnitOfWork

RECONCILING = "reconciling"
MODE_CACHE = "platform_mode"
RETRY_AFTER_S = 60


class PlatformMode(Base):
    """A mode the platform is in; no row, normal selling."""

    __tablename__ = "platform_mode"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    backup_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    note: Mapped[str] = mapped_column(String(200), default="")


class Reconciling(AdmitError):
    """Sales wait while payments since a restored backup are reconciled with the gateway."""

    code: ClassVar[str] = "reconciling"
    status: ClassVar[int] = 503


async def reconciling(uow: UnitOfWork) -> PlatformMode | None:
    """The reconciling mode's row, read fresh."""
    return await uow.session.get(PlatformMode, RECONCILING, populate_existing=True)


async def _since(uow: UnitOfWork) -> tuple[datetime | None]:
    """Boxed, so that "not reconciling" is kept in the cache too."""
    mode = await reconciling(uow)
    return (mode.since if mode is not None else None,)


async def refuse_while_reconciling(uow: UnitOfWork) -> None:
    """Raise :class:`Reconciling` (503 with ``Retry-After``) while the mode is on; the row is
    read at most once a second per process."""
    cache: ShortCache[str, Any] = cache_of(uow.caches, MODE_CACHE, 1.0)
    (since,) = await cache.get_or_load(uow, RECONCILING, lambda: _since(uow))
    if since is not None:
        raise Reconciling(
            "sales are paused while payments made since the restored backup are reconciled "
            "with the bank; try again shortly",
            details={"since": since.isoformat(), "retry_after": RETRY_AFTER_S},
        )


async def enter_reconciling(
    uow: UnitOfWork, *, backup_at: datetime | None, now: datetime, note: str
) -> None:
    """Put the platform in reconciling mode (idempotent), recorded in the audit log."""
    if await reconciling(uow) is not None:
        return
    uow.session.add(PlatformMode(name=RECONCILING, since=now, backup_at=backup_at, note=note))
    forget_on_commit(uow, MODE_CACHE)
    await audit.record(
        uow,
        action="platform.reconciling",
        entity_type="platform",
        entity_id=RECONCILING,
        data={"backup_at": backup_at.isoformat() if backup_at else None, "note": note},
        now=now,
    )


async def leave_reconciling(uow: UnitOfWork, *, now: datetime, summary: dict[str, int]) -> None:
    """Sales reopen: the mode's row goes, recorded in the audit log with what was done."""
    await uow.session.execute(delete(PlatformMode).where(PlatformMode.name == RECONCILING))
    forget_on_commit(uow, MODE_CACHE)
    await audit.record(
        uow,
        action="platform.reconciled",
        entity_type="platform",
        entity_id=RECONCILING,
        data=summary,
        now=now,
    )


async def reconciling_since(uow: UnitOfWork) -> datetime | None:
    return (await _since(uow))[0]
