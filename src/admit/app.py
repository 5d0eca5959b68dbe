"""Assembles the ASGI application from the slices' routers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from admit import __version__
from admit.accounts.address_api import router as address_router
from admit.accounts.admin_api import router as people_router
from admit.accounts.counter_api import router as counter_router
from admit.accounts.customer_api import router as customer_router
from admit.accounts.staff_api import router as staff_router
from admit.aftersale.api import router as refund_router
from admit.aftersale.exchange_api import router as exchange_router
from admit.catalog.api import admin_router as catalog_admin
from admit.catalog.public_api import router as catalog_public
from admit.channels.booking_admin_api import router as channel_admin_router
from admit.channels.booking_api import router as channel_booking_router
from admit.channels.contract_admin_api import router as contract_admin_router
from admit.channels.contract_api import router as contract_router
from admit.channels.terminals_api import router as terminals_router
from admit.checkin.api import router as checkin_router
from admit.clients.api import router as clients_router
from admit.content.api import router as content_router
from admit.core.config import load_settings
from admit.core.gc_tuning import tune_for_serving
from admit.core.logging import baseline_logging, configure_logging
from admit.core.production_check import InsecureSettings
from admit.core.runtime import Runtime
from admit.core.startup_errors import exit_on_startup_error
from admit.core.worker import run_forever
from admit.finance.api import router as finance_router
from admit.finance.recon_api import router as reconciliation_router
from admit.http.access_log import RequestLogMiddleware
from admit.http.audit_api import router as audit_router
from admit.http.contract import contract, operation_id
from admit.http.edge_limits import EdgeLimitMiddleware
from admit.http.errors import install_error_handlers
from admit.http.int_bounds import bounded_integers
from admit.http.notices_api import router as notices_router
from admit.http.partner import AccessLogMiddleware
from admit.http.security_headers import SecurityHeadersMiddleware
from admit.http.system_api import router as system_router
from admit.inventory.api import admin_router as inventory_admin
from admit.inventory.partner_api import router as partner_router
from admit.inventory.public_api import router as inventory_public
from admit.inventory.stock_alert_api import router as stock_alert_router
from admit.messaging.api import router as messaging_router
from admit.partners.api import router as partners_router
from admit.partners.sync_api import router as partner_sync_router
from admit.production.api import router as production_router
from admit.production.counter_print_api import router as counter_print_router
from admit.reports import rollup  # noqa: F401  (its sweeper: the daily roll-up)
from admit.reports.api import router as reports_router
from admit.sales import reconcile  # noqa: F401  (its job, and the worker's reconciling step)
from admit.sales.api import router as sales_router
from admit.sales.collected_api import router as collected_router
from admit.sales.counter_sale_api import router as counter_sale_router
from admit.sales.hold_api import router as hold_router
from admit.sales.holder_api import router as holder_router
from admit.sales.order_api import router as order_router
from admit.sales.order_search_api import router as order_search_router
from admit.sales.pass_api import router as pass_router
from admit.sales.payment_api import router as payment_router
from admit.sales.pickup_api import router as pickup_router
from admit.sales.purchase_api import router as purchase_router
from admit.sales.ticket_api import router as ticket_router
from admit.settlement import schedule  # noqa: F401  (its sweeper: scheduled runs)
from admit.settlement.api import router as settlement_router
from admit.waiting.api import router as waiting_router
from admit.web.errors import too_many_requests_page
from admit.web.pages import mount_pages
from admit.wiring import mount_simulators, printer_simulator, production_refusals, wire_adapters

API_PREFIX = "/api/v1"


def from_environment() -> FastAPI:
    """The application from ``ADMIT_*`` settings: the factory each ``admit serve --workers``
    process calls. It configures logging as every ``admit`` command does."""
    from uvicorn.config import STARTUP_FAILURE

    baseline_logging()
    # A worker that cannot start exits with uvicorn's code for that, so the parent stops
    # instead of starting it again and again.
    with exit_on_startup_error(code=STARTUP_FAILURE):
        settings = load_settings()
        configure_logging(settings)
        refused = production_refusals(settings)
        if refused:
            raise InsecureSettings(refused)
    tune_for_serving(settings.gc_gen0_threshold)
    return create_app(Runtime.from_settings(settings))


def create_app(runtime: Runtime, *, run_worker: bool | None = None) -> FastAPI:
    """The web application. With ``run_worker`` (default: the settings') the background worker
    runs inside this process, as ``admit demo`` wants."""
    in_process = runtime.settings.run_worker_in_process if run_worker is None else run_worker
    sim_lifespans: list[contextlib.AbstractAsyncContextManager[None]] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_forever(runtime, stop)) if in_process else None
        try:
            async with contextlib.AsyncExitStack() as stack:
                for lifespan_of in sim_lifespans:
                    await stack.enter_async_context(lifespan_of)
                yield
        finally:
            stop.set()
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await runtime.close()

    app = FastAPI(
        title="Admit",
        version=__version__,
        summary="Ticketing: catalogue, seat maps, sale and admission.",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    contract(app)
    app.state.runtime = runtime
    wire_adapters(runtime)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(AccessLogMiddleware, rt_of=lambda: runtime)
    app.add_middleware(
        EdgeLimitMiddleware, rt_of=lambda: runtime, page_refusal=too_many_requests_page
    )
    app.add_middleware(SecurityHeadersMiddleware, settings=runtime.settings)
    # Outermost: times, logs and counts the whole request (the access log and the metrics).
    app.add_middleware(RequestLogMiddleware)
    install_error_handlers(app)
    app.include_router(system_router)
    # A request is matched against the routers in this order, each router passed costing
    # its routes' patterns (~1.5 µs a route): the buyer's hot path — hold, purchase, order,
    # payment and its notification, availability — comes first (the hold route was
    # seventeenth, ~0.3 ms of matching). No route shadows another in any order
    # (tests/integration/core/test_route_order.py).
    for router in (
        hold_router,
        purchase_router,
        order_router,
        payment_router,
        inventory_public,
        catalog_public,
        catalog_admin,
        inventory_admin,
        audit_router,
        staff_router,
        customer_router,
        address_router,
        holder_router,
        people_router,
        order_search_router,
        pass_router,
        counter_router,
        partner_router,
        messaging_router,
        sales_router,
        ticket_router,
        counter_sale_router,
        counter_print_router,
        production_router,
        collected_router,
        channel_booking_router,
        channel_admin_router,
        terminals_router,
        pickup_router,
        refund_router,
        exchange_router,
        finance_router,
        reconciliation_router,
        settlement_router,
        reports_router,
        checkin_router,
        partners_router,
        partner_sync_router,
        content_router,
        clients_router,
        contract_router,
        contract_admin_router,
        waiting_router,
        stock_alert_router,
        notices_router,
    ):
        app.include_router(router, prefix=API_PREFIX, dependencies=[Depends(bounded_integers)])
    mount_pages(app)
    if runtime.settings.simulators_in_process:
        sim_lifespans.append(mount_simulators(app, runtime))
        if (printer := printer_simulator()) is not None:
            sim_lifespans.append(printer)
    return app
