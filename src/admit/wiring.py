"""The composition root's adapters: which outside system each interface talks to, and which
slice answers the HTTP plumbing's questions (who is calling: the accounts' authenticator).

Production points them at real services through settings; the demo (and development) serves
the carrier and identity simulators under ``/_sim`` in the same process and talks to them over
real HTTP. Anything already registered (a test's recording fake) is left as it is."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from admit.accounts.authenticator import AccountsAuthenticator
from admit.accounts.oidc_providers import OidcProvider, OidcProviders
from admit.accounts.outlet_switch import OutletSwitch
from admit.accounts.verifier import HttpIdentityVerifier, IdentityVerifier
from admit.aftersale.hooks import AfterSaleHooks
from admit.core.authentication import Authenticator
from admit.core.config import OidcProviderSettings, Settings
from admit.core.production_check import is_production, problems, shared_secrets
from admit.core.ratelimit import RateLimiter
from admit.core.ratelimit_redis import rate_limiter_from_settings
from admit.core.runtime import Runtime
from admit.messaging.email import EmailSender, FileEmailSender, SmtpEmailSender
from admit.messaging.sms import HttpSmsGateway, SmsGateway
from admit.partners.box_office import BoxOffices
from admit.partners.cinema_client import HttpBoxOffice
from admit.partners.sale_hooks import PartnerCinemas
from admit.partners.settings import CinemaSettings
from admit.payments.bank import HttpBankGateway
from admit.payments.directory import Gateways
from admit.production.printer import TcpTicketPrinter, TicketPrinter
from admit.production.settings import PrinterSettings
from admit.sales import after_sale, outside_inventory
from admit.sales.counter_gate import CounterOutlets
from admit.sales.notice_settler import NoticeSettler
from admit.sims.bank import create_bank_app
from admit.sims.bank_state import BankSimConfig
from admit.sims.cinema import CinemaSimConfig, create_cinema_app
from admit.sims.idp import IdpClient, IdpSimConfig, create_idp_app
from admit.sims.police import PoliceSimConfig, create_police_app, demo_population
from admit.sims.printer import PrinterSim
from admit.sims.sms import SmsSimConfig, create_sms_app

SIM_SMS = "/_sim/sms"
SIM_POLICE = "/_sim/police"
SIM_BANK = "/_sim/bank"
SIM_CINEMA = "/_sim/cinema"
SIM_IDP = "/_sim/idp"
# The identity-provider simulator as a sign-in provider of the demo (never in production:
# the simulators are not mounted there).
SIM_IDP_PROVIDER = "demo-id"
SIM_IDP_CLIENT = ("admit", "dev-secret")


def simulated_provider(settings: Settings) -> OidcProviderSettings:
    client_id, secret = SIM_IDP_CLIENT
    return OidcProviderSettings(
        name=SIM_IDP_PROVIDER,
        label="Demo ID",
        issuer=f"{settings.base_url}{SIM_IDP}",
        client_id=client_id,
        client_secret=secret,
    )


def sign_in_providers(settings: Settings) -> list[OidcProviderSettings]:
    """The configured providers, and the simulator's where the simulators are served."""
    chosen = list(settings.oidc_providers)
    if settings.simulators_in_process and SIM_IDP_PROVIDER not in {p.name for p in chosen}:
        chosen.append(simulated_provider(settings))
    return chosen


def production_refusals(settings: Settings) -> list[str]:
    """Why these settings may not serve the public (``admit.core.production_check``); empty
    in development."""
    if not is_production(settings):
        return []
    return problems(settings, shared_secrets(settings, CinemaSettings().secret))


def wire_adapters(rt: Runtime) -> None:
    s = rt.settings
    # A partner cinema's showtimes are sold from its box office's inventory (C2).
    outside_inventory.install(PartnerCinemas())
    # Refunds and exchanges answer the sale: an exchange's new order sold, a refund done.
    after_sale.install(AfterSaleHooks())
    _wire_outside_systems(rt)
    if NoticeSettler not in rt.adapters:
        rt.register(NoticeSettler, NoticeSettler(rt))
    if RateLimiter not in rt.adapters:
        rt.register(RateLimiter, rate_limiter_from_settings(s.redis_url))  # type: ignore[type-abstract]
    if OidcProviders not in rt.adapters:
        rt.register(OidcProviders, OidcProviders([OidcProvider(p) for p in sign_in_providers(s)]))
    if Authenticator not in rt.adapters:
        rt.register(Authenticator, AccountsAuthenticator(rt))  # type: ignore[type-abstract]
    if OutletSwitch not in rt.adapters:
        rt.register(OutletSwitch, CounterOutlets())  # type: ignore[type-abstract]


def _wire_outside_systems(rt: Runtime) -> None:
    """The adapters of the systems outside: by settings, or the simulators' addresses."""
    s = rt.settings
    if SmsGateway not in rt.adapters:
        url = s.sms_url or f"{s.base_url}{SIM_SMS}"
        rt.register(SmsGateway, HttpSmsGateway(url, s.sms_access_key, s.sms_secret))  # type: ignore[type-abstract]
    if IdentityVerifier not in rt.adapters:
        url = s.identity_url or f"{s.base_url}{SIM_POLICE}"
        rt.register(
            IdentityVerifier,  # type: ignore[type-abstract]
            HttpIdentityVerifier(url, s.identity_app_id, s.identity_secret),
        )
    if EmailSender not in rt.adapters:
        sender: EmailSender = (
            SmtpEmailSender(s.smtp_host, s.smtp_port)
            if s.smtp_host
            else FileEmailSender(s.data_dir / "mail")
        )
        rt.register(EmailSender, sender)  # type: ignore[type-abstract]
    if Gateways not in rt.adapters:
        url = s.bank_url or f"{s.base_url}{SIM_BANK}"
        rt.register(Gateways, Gateways(HttpBankGateway(url, s.bank_merchant_id, s.bank_secret)))
    if BoxOffices not in rt.adapters:
        c = CinemaSettings()
        office = HttpBoxOffice(
            c.url or f"{s.base_url}{SIM_CINEMA}",
            c.app_code,
            c.secret,
            system=c.system,
            timeout=c.timeout_seconds,
        )
        rt.register(BoxOffices, BoxOffices(office))
    if TicketPrinter not in rt.adapters:  # printers' addresses are registered per outlet
        p = PrinterSettings()
        rt.register(
            TicketPrinter,  # type: ignore[type-abstract]
            TcpTicketPrinter(
                connect_timeout=p.connect_timeout_seconds, ack_timeout=p.ack_timeout_seconds
            ),
        )


def mount_simulators(app: FastAPI, rt: Runtime) -> AbstractAsyncContextManager[None]:
    """Mount the simulators; returns the bank's lifespan (its notifier), for the app's own
    lifespan to run — Starlette does not run a mounted app's lifespan."""
    s = rt.settings
    app.mount(
        SIM_SMS,
        create_sms_app(
            SmsSimConfig(access_key=s.sms_access_key, secret=s.sms_secret), clock=rt.clock
        ),
    )
    app.mount(
        SIM_POLICE,
        create_police_app(
            PoliceSimConfig(
                app_id=s.identity_app_id,
                secret=s.identity_secret,
                population=demo_population(1000, seed=1),
            )
        ),
    )
    bank = create_bank_app(
        BankSimConfig(
            merchants={s.bank_merchant_id: s.bank_secret},
            public_url=f"{s.base_url}{SIM_BANK}",
            notify_retry_delays_s=(1, 5, 15, 30, 180, 1800),
        ),
        clock=rt.clock,
    )
    app.mount(SIM_BANK, bank)
    cinema = CinemaSettings()
    app.mount(
        SIM_CINEMA,
        create_cinema_app(CinemaSimConfig(apps={cinema.app_code: cinema.secret}), clock=rt.clock),
    )
    client_id, secret = SIM_IDP_CLIENT
    callback = f"{s.base_url}/login/with/{SIM_IDP_PROVIDER}/callback"
    app.mount(
        SIM_IDP,
        create_idp_app(
            IdpSimConfig(
                issuer=f"{s.base_url}{SIM_IDP}",
                clients={client_id: IdpClient(secret=secret, redirect_uris=(callback,))},
            ),
            clock=rt.clock,
        ),
    )
    return bank.router.lifespan_context(bank)  # type: ignore[return-value]


def printer_simulator() -> AbstractAsyncContextManager[None] | None:
    """The ticket printer simulator on ``ADMIT_PRINTER_SIM_PORT`` (raw TCP, not mountable
    under ``/_sim``), run for the app's lifespan; None when no port is set."""
    port = PrinterSettings().sim_port
    if port is None:
        return None

    @contextlib.asynccontextmanager
    async def serving() -> AsyncIterator[None]:
        sim = PrinterSim()
        await sim.start("127.0.0.1", port)
        try:
            yield
        finally:
            await sim.stop()

    return serving()
