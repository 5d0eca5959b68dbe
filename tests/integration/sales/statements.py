"""What a piece of the sale sends to the database: the contract tests count the statements of
a hold, an order, a payment, a release and a sale (one on PostgreSQL, the statements on
SQLite)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event

from admit.core.runtime import Runtime


@contextlib.contextmanager
def statements_sent(runtime: Runtime) -> Iterator[list[str]]:
    """Every statement the runtime's engine sends while the block runs, in order."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    engine = runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
