"""Every page router and ``/static`` mounted on the application (``app.py`` calls it)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from admit.web.account import router as account_pages
from admit.web.account_addresses import router as address_pages
from admit.web.browse import router as browse_pages
from admit.web.checkout import router as checkout_pages
from admit.web.client_errors import router as client_error_reports
from admit.web.counter_desk import router as counter_desk_pages
from admit.web.counter_order_actions import router as counter_order_actions
from admit.web.counter_people import router as counter_people_pages
from admit.web.counter_sale import router as counter_sale_pages
from admit.web.counter_sign_in import router as counter_sign_in_pages
from admit.web.errors import install_page_errors
from admit.web.gate import router as gate_pages
from admit.web.holding import router as holding_pages
from admit.web.pass_checkout import router as pass_pages
from admit.web.queue import router as queue_pages

HERE = Path(__file__).parent


def mount_pages(app: FastAPI) -> None:
    """Add the pages' routers and ``/static``."""
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_page_errors(app)
    app.include_router(gate_pages)
    app.include_router(browse_pages)
    app.include_router(account_pages)
    app.include_router(address_pages)
    app.include_router(holding_pages)  # before /checkout/{hold_id}
    app.include_router(pass_pages)  # before /checkout/{hold_id}
    app.include_router(checkout_pages)
    app.include_router(queue_pages)
    app.include_router(client_error_reports)
    for counter in (
        counter_sign_in_pages,
        counter_sale_pages,
        counter_order_actions,
        counter_people_pages,
        counter_desk_pages,
    ):
        app.include_router(counter)
