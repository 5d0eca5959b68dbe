"""What the database holds, as text: a test of data at rest searches it for a plain value."""

from __future__ import annotations

from admit.core.runtime import Runtime
from admit.tables import metadata


async def every_stored_text(runtime: Runtime) -> str:
    """Every row of every table, as text."""
    parts = []
    async with runtime.engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = (await conn.execute(table.select())).all()
            parts.extend(repr(tuple(row)) for row in rows)
    return "\n".join(parts)
