"""The package's shape as data: every top-level module of ``admit`` (a slice, a layer or one
file), what it holds, which others it may import and whose tables it may read, and which
modules are pure. ``admit.devtools.boundaries`` checks the code against this table and
renders the "Slices and layers" part of ``docs/architecture.md`` from it, so the rules and
their description cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Slice:
    """One top-level module of the package: a directory (``sales``) or a file (``app.py``).

    ``imports`` are the entries it may import; ``reads`` those whose tables (``models``,
    ``*_models``) it may import, for joins in reads and ``INSERT … SELECT`` from upstream
    data — a slice in ``reads`` but not in ``imports`` lends its tables and nothing else.
    ``anything``: a composition layer that may import every entry and every table."""

    name: str
    holds: str
    imports: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    anything: bool = False


@dataclass(frozen=True)
class Boundaries:
    """The table the checker holds the code to (tests hand it a small one of their own)."""

    slices: tuple[Slice, ...]
    # Modules (paths under the package) that do no I/O: they may import, however indirectly,
    # none of ``impure_imports``.
    pure: tuple[str, ...]
    impure_imports: tuple[str, ...]
    # A slice's HTTP modules may also use the HTTP plumbing and the permission names.
    entrypoint_suffixes: tuple[str, ...] = ("api.py", "web.py")
    entrypoint_imports: tuple[str, ...] = ("admit.http", "admit.core.permissions")
    # The product ships no test doubles or test machinery: they live under tests/.
    test_only_imports: tuple[str, ...] = ("tests", "pytest", "hypothesis", "_pytest")

    def entry(self, name: str) -> Slice | None:
        return next((s for s in self.slices if s.name == name), None)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(s.name for s in self.slices)


_TABLE_OWNERS = (
    "accounts",
    "clients",
    "messaging",
    "catalog",
    "inventory",
    "payments",
    "ticketing",
    "finance",
    "waiting",
    "sales",
    "settlement",
    "partners",
    "aftersale",
    "checkin",
    "content",
    "reports",
    "production",
    "channels",
)

SLICES = (
    Slice(
        "core",
        "settings, engine and column types, unit of work, errors, money, clock, permission "
        "names, audit log with hash chain, outbox and worker, runtime, structured logging",
    ),
    Slice(
        "messaging",
        "the message queue (SMS, email) with status and re-send; the SMS carrier adapter and "
        "its pure rules; SMTP and file mail senders",
        imports=("core",),
    ),
    Slice(
        "accounts",
        "staff and their grants, customers and their device tokens, one-time codes, the "
        "security policy and login guard, real-name identities, partner API keys",
        imports=("core", "messaging"),
    ),
    Slice(
        "clients",
        "clients and client groups that seats are reserved for, the buyers linked to a "
        "client (customer accounts, staff reps) and a buyer's reservation keys",
        imports=("core",),
        reads=("accounts",),
    ),
    Slice(
        "catalog",
        "organisers, venues, seat maps (format, validation, generators, layout), events, "
        "sessions, price levels, passes, search",
        imports=("core",),
    ),
    Slice(
        "inventory",
        "session seat plans (one row per session and seat), categories, client "
        "reservations, venue changes reaching sessions, availability",
        imports=("core", "catalog", "clients"),
        reads=("catalog", "clients"),
    ),
    Slice(
        "payments",
        "the gateway interface (pure), the bank gateway's HTTP client, the gateway directory, "
        "payments, the inbox of verified notifications, forged notifications and refunds",
        imports=("core",),
    ),
    Slice(
        "ticketing",
        "signed QR payloads (Ed25519, Base45, pure), QR/PDF rendering, organisers' signing "
        "keys and issued tickets, tickets reissued under a new code (the old one retired)",
        imports=("core", "catalog"),
        reads=("catalog",),
    ),
    Slice(
        "finance",
        "the append-only double-entry ledger, the daily bills read from payments, and "
        "reconciliation (runs and exceptions of any counterparty; the payment gateways' "
        "statements against the ledger)",
        imports=("core", "payments"),
        reads=("payments", "catalog"),
    ),
    Slice(
        "waiting",
        "the waiting room in front of a session's sale: the queue, its draw and admissions, "
        "their pure rules and routes",
        imports=("core", "catalog"),
    ),
    Slice(
        "sales",
        "channels and outlets, sales windows and quotas, holds, orders, checkout, selling, "
        "settlement of the payment inbox in batches, refunds, the consistency checker: it "
        "orchestrates the purchase",
        imports=(
            "core",
            "catalog",
            "clients",
            "inventory",
            "accounts",
            "messaging",
            "payments",
            "ticketing",
            "finance",
            "waiting",
        ),
        reads=("catalog", "inventory", "accounts", "payments", "ticketing", "finance", "waiting"),
    ),
    Slice(
        "settlement",
        "agreements with each party of a sale (organiser, platform, agents, printers, "
        "clients), settlement runs per period that split the organiser's payable in the "
        "ledger, and each party's statement (CSV, PDF)",
        imports=("core", "catalog", "clients", "payments", "finance", "sales"),
        reads=("catalog", "clients", "payments", "finance", "sales"),
    ),
    Slice(
        "channels",
        "selling through kiosk, outlet, contract-client and agent systems: their booking "
        "API (keys bound to a channel and outlet, per-channel rate budgets), outlet "
        "terminals' heartbeats and which are online; contract clients' quotas per session "
        "and price level, offline payments, quantity and seat locks, imported holders and "
        "collection once every holder is verified, statistics per rep and client",
        imports=(
            "core",
            "catalog",
            "clients",
            "inventory",
            "accounts",
            "finance",
            "sales",
            "payments",
            "ticketing",
        ),
        reads=("catalog", "clients", "inventory", "accounts", "finance", "sales", "payments"),
    ),
    Slice(
        "reports",
        "reports (revenue by period and by what was sold, refunds, seller rankings, audience "
        "sources, bills per day): SQL aggregates over a daily roll-up (closed days) and the "
        "live tables (the rest), as JSON, CSV, XLSX and a page with a chart",
        imports=("core", "finance"),
        reads=("accounts", "catalog", "payments", "sales", "ticketing"),
    ),
    Slice(
        "partners",
        "cinemas' own box offices: the adapter, sync, the partner sale flow "
        "(lock, confirm, unlock) and their daily reports reconciled (on finance's "
        "reconciliation)",
        imports=(
            "core",
            "catalog",
            "inventory",
            "payments",
            "messaging",
            "accounts",
            "sales",
            "finance",
        ),
        reads=("catalog", "inventory", "sales", "payments", "finance"),
    ),
    Slice(
        "aftersale",
        "after the sale: refund policies and requests, refunded tickets leaving their order, "
        "exchanges, cancelling a session; its answers to the sale (``sales.after_sale``)",
        imports=(
            "core",
            "catalog",
            "inventory",
            "payments",
            "ticketing",
            "sales",
        ),
        reads=("catalog", "inventory", "sales", "payments", "ticketing"),
    ),
    Slice(
        "checkin",
        "gates, devices and their credentials, validation policies, manifests, offline "
        "validation (pure, shared with devices), scan uploads, attendance",
        imports=("core", "catalog", "ticketing", "accounts"),
        reads=("catalog", "ticketing", "accounts"),
    ),
    Slice(
        "production",
        "ticket production: printers at outlet terminals, thermal sessions, ESC/POS rendering "
        "(python-escpos), the TCP printer adapter, print jobs acknowledged by the printer, the "
        "print log, print exceptions resolved by reprint (a reissued code) or confirmation",
        imports=("core", "catalog", "sales", "ticketing"),
        reads=("catalog", "sales", "ticketing"),
    ),
    Slice(
        "content",
        "what the storefront shows besides the catalogue: announcements, recommendations",
        imports=("core", "catalog"),
        reads=("catalog",),
    ),
    Slice(
        "http",
        "HTTP plumbing below the slices: dependencies (unit of work per request, "
        "authentication through the runtime's authenticator), the one error→JSON mapping, "
        "health, metrics, audit endpoints",
        imports=("core",),
    ),
    Slice(
        "web",
        "server-rendered pages (storefront, gate scanner, the counter) with their static "
        "files: an entry layer, like a slice's API modules",
        imports=(
            "core",
            "aftersale",
            "http",
            "accounts",
            "catalog",
            "clients",
            "content",
            "inventory",
            "payments",
            "production",
            "sales",
            "ticketing",
            "waiting",
        ),
        reads=("catalog", "inventory", "payments", "sales", "ticketing"),
    ),
    Slice(
        "sims",
        "simulators of outside systems over HTTP (SMS carrier, public-security service, "
        "bank payment gateway, cinema box office, OpenID Connect identity provider) and raw "
        "TCP (an ESC/POS ticket printer)",
        imports=("core", "messaging", "accounts", "payments", "partners"),
    ),
    Slice(
        "cli",
        "the `admit` command (Typer): demo, serve, worker, migrate, seed, import, backup, "
        "restore, simulators; the demo catalogue",
        anything=True,
    ),
    Slice(
        "migrations",
        "Alembic, run programmatically on SQLite and PostgreSQL",
        imports=("core", "tables.py"),
    ),
    Slice(
        "devtools",
        "`make check` helpers: import boundaries (and this table), alembic check",
        imports=("core", "migrations", "tables.py"),
    ),
    Slice(
        "app.py",
        "assembles the FastAPI application from the slices' routers",
        anything=True,
    ),
    Slice(
        "wiring.py",
        "the composition root's adapters: real services by settings, or the simulators",
        imports=(
            "core",
            "accounts",
            "messaging",
            "sims",
            "payments",
            "partners",
            "sales",
            "aftersale",
            "http",
            "production",
        ),
    ),
    Slice(
        "tables.py",
        "every slice's tables on one metadata (for Alembic)",
        imports=("core",),
        reads=_TABLE_OWNERS,
    ),
    Slice("__init__.py", "the package's version"),
    Slice("__main__.py", "`python -m admit`: the command line", imports=("cli",)),
)

PURE_MODULES = (
    "core/money.py",
    "core/clock.py",
    "core/errors.py",
    "core/audit_context.py",
    "core/permissions.py",
    "accounts/address_rules.py",
    "accounts/documents.py",
    "accounts/mobile_numbers.py",
    "accounts/password_rules.py",
    "accounts/person_names.py",
    "accounts/staff_hierarchy.py",
    "messaging/sms_rules.py",
    "catalog/rules.py",
    "catalog/search.py",
    "catalog/seatmap_spec.py",
    "catalog/seatmap_format.py",
    "catalog/seatmap_validate.py",
    "catalog/seatmap_generators.py",
    "inventory/rules.py",
    "clients/rules.py",
    "inventory/best_available.py",
    "ticketing/qr_payload.py",
    "checkin/validation.py",
    "checkin/replay.py",
    "payments/gateway.py",
    "payments/bank_notice.py",
    "partners/box_office.py",
    "finance/recon_rules.py",
    "finance/statement_csv.py",
    "waiting/rules.py",
    "sales/rules.py",
    "sims/escpos_reader.py",
    "aftersale/rules.py",
    "settlement/rules.py",
    "content/rules.py",
    "web/refusals.py",
    "web/messages.py",
    "web/sale_status.py",
    "web/categories.py",
    "reports/chart.py",
)

IMPURE_IMPORTS = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "httpx",
    "asyncpg",
    "aiosqlite",
    "redis",
    "socket",
    "requests",
    "admit.core.config",
    "admit.core.db",
    "admit.core.uow",
    "admit.http",
)

BOUNDARIES = Boundaries(slices=SLICES, pure=PURE_MODULES, impure_imports=IMPURE_IMPORTS)
