"""Fixtures of the unit tests (no database)."""

from __future__ import annotations

from typing import Any

import pytest

from admit.core.audit_context import SYSTEM
from admit.core.uow import UnitOfWork


class ConnectionCounter:
    """Stands in for a database session where code only asks for its connection."""

    def __init__(self) -> None:
        self.connections = 0

    async def connection(self) -> None:
        self.connections += 1


@pytest.fixture
def unit() -> UnitOfWork:
    """A unit of work whose session only counts the connections asked of it."""
    session: Any = ConnectionCounter()
    return UnitOfWork(session=session, actor=SYSTEM)
