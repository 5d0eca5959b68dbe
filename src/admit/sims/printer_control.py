"""The printer simulator's HTTP control port (``admit sim printer``): what it received and
its faults, for a developer or a browser test driving a separate process.

- ``GET /jobs``: every job (id, complete, printed, bytes, text, QR codes);
- ``POST /faults`` ``{"paper_out": bool, "drop_after": int | null}``: set the faults;
- ``DELETE /jobs``: forget the jobs."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from admit.sims.printer import PrinterSim


def create_printer_control_app(sim: PrinterSim) -> Starlette:
    async def jobs(_: Request) -> JSONResponse:
        return JSONResponse([job.as_dict() for job in sim.jobs])

    async def forget(_: Request) -> JSONResponse:
        sim.jobs.clear()
        return JSONResponse({"jobs": 0})

    async def faults(request: Request) -> JSONResponse:
        body: Any = await request.json()
        if not isinstance(body, dict):
            return JSONResponse({"error": "a JSON object"}, status_code=400)
        if "paper_out" in body:
            sim.paper_out = bool(body["paper_out"])
        if "drop_after" in body:
            value = body["drop_after"]
            if value is not None and (type(value) is not int or value < 1):
                return JSONResponse({"error": "drop_after: a positive integer"}, status_code=400)
            sim.drop_after = value
        return JSONResponse({"paper_out": sim.paper_out, "drop_after": sim.drop_after})

    return Starlette(
        routes=[
            Route("/jobs", jobs, methods=["GET"]),
            Route("/jobs", forget, methods=["DELETE"]),
            Route("/faults", faults, methods=["POST"]),
        ]
    )
