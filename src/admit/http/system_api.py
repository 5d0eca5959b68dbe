"""Health and metrics endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from admit.http.deps import RuntimeDep

router = APIRouter(tags=["system"])


@router.get("/healthz")
async def healthz(rt: RuntimeDep) -> dict[str, str]:
    """Liveness and database reachability."""
    async with rt.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return {"status": "ok", "database": rt.engine.dialect.name}


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
