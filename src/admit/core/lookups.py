"""The two lookups every slice's use cases start with: fetch a row or 404, refuse a duplicate."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from admit.core.errors import AlreadyExists, NotFound
from admit.core.uow import UnitOfWork

T = TypeVar("T")


async def get_or_404(uow: UnitOfWork, model: type[T], ident: int, what: str) -> T:
    """The row with primary key ``ident``; raises ``NotFound`` saying "{what} {ident} …"."""
    row = await uow.session.get(model, ident)
    if row is None:
        raise NotFound(f"{what} {ident} does not exist")
    return row


async def ensure_unique(
    uow: UnitOfWork, column: InstrumentedAttribute[Any], value: object, message: str
) -> None:
    """Raise ``AlreadyExists(message)`` when a row already has ``value`` in ``column``."""
    if await uow.session.scalar(select(column).where(column == value).limit(1)) is not None:
        raise AlreadyExists(message)
