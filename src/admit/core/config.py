"""Typed settings from ``ADMIT_*`` environment variables; the defaults need no configuration."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, IPvAnyNetwork
from pydantic_settings import BaseSettings, SettingsConfigDict


class OidcProviderSettings(BaseModel):
    """One OpenID Connect provider customers may sign in with (``ADMIT_OIDC_PROVIDERS``)."""

    name: str = Field(pattern=r"^[a-z0-9-]{1,40}$", description="In URLs: /login/NAME.")
    label: str = Field(min_length=1, max_length=60, description="Sign in with LABEL.")
    issuer: str = Field(description="The issuer the provider's ID tokens must carry.")
    discovery_url: str | None = Field(
        default=None, description="Default: ISSUER/.well-known/openid-configuration."
    )
    client_id: str
    client_secret: str
    scope: str = "openid email profile"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADMIT_", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Local state: SQLite file, keys.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is a SQLite file under data_dir."
    )
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    run_worker_in_process: bool = Field(
        default=True, description="Run the background worker inside the web process (demo)."
    )
    db_pool_size: int = 10
    # A database outage must answer 503 at once, not hang requests (docs/operations.md).
    db_connect_timeout_seconds: float = Field(
        default=2.0, gt=0, description="PostgreSQL: give up opening a connection after this."
    )
    db_pool_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Wait at most this for a free pooled connection (then 503 busy). An outage "
        "does not wait on it (connections fail at once); a sale's peak queues here.",
    )
    db_command_timeout_seconds: float | None = Field(
        default=30.0,
        description="PostgreSQL: a statement unanswered this long counts as the database "
        "being unreachable (unset: no limit).",
    )
    ready_timeout_seconds: float = Field(
        default=2.0, gt=0, description="/readyz and /metrics: the database and Redis checks' limit."
    )
    ready_worker_max_age_seconds: float = Field(
        default=60.0,
        ge=0,
        description="/readyz fails when no worker has completed a cycle for this long (0: the "
        "worker is not checked).",
    )
    ready_outbox_max_lag_seconds: float = Field(
        default=300.0,
        ge=0,
        description="/readyz fails when the oldest due outbox job has waited this long (0: not "
        "checked).",
    )
    availability_cache_seconds: float = 0.5
    token_cache_seconds: float = Field(
        default=5.0, description="How long a process trusts a device token it has checked."
    )
    sale_config_cache_seconds: float = Field(
        default=1.0, description="How long a process keeps a session's windows and quotas."
    )
    gc_gen0_threshold: int = Field(
        default=100_000,
        description="Server processes: young objects collected every N allocations (0: Python's).",
    )
    log_level: str = "INFO"
    log_json: bool = False
    sql_log_parameters: bool = Field(
        default=False,
        description="Show bound parameters in SQL errors (debugging only: they carry personal "
        "data).",
    )
    environment: Literal["development", "production"] | None = Field(
        default=None,
        description="production: admit serve refuses default secrets and in-process simulators; "
        "unset: production when the database is PostgreSQL or public_url is not local.",
    )
    staff_token_hours: int = 12
    worker_poll_seconds: float = 1.0
    stock_alert_levels: str = Field(
        default="20,5,0",
        pattern=r"^\s*(\d{1,2}\s*(,\s*\d{1,2}\s*)*)?$",
        description="Low-stock alert levels: percentages of a session's price level's sellable "
        "total, comma-separated (0: sold out; empty: no alerts). A session may set its own.",
    )
    stock_alert_scan_seconds: float = Field(
        default=5.0,
        ge=0.0,
        description="How often a worker compares the stock of sessions to come with their "
        "alert levels (0: every worker cycle).",
    )
    settle_in_server: bool = Field(
        default=True,
        description="The web process that records a payment notification settles it right "
        "after (in a batch with what else is pending). Turn off where `admit settle` "
        "processes settle them: a loaded web process settles slower than a process of its own.",
    )
    worker_lease_seconds: float = Field(
        default=30.0,
        ge=1.0,
        description="How long a claimed job stays the worker's without a renewal (renewed "
        "every third of it): how long a killed worker's jobs wait for another.",
    )
    worker_stop_grace_seconds: float = Field(
        default=20.0,
        ge=0.0,
        description="On SIGTERM, how long the job running may take to finish before it is "
        "cancelled and released.",
    )
    field_keys: str | None = Field(
        default=None,
        description="Comma-separated Fernet keys for personal data, newest first; "
        "default: a key kept under data_dir/keys.",
    )
    lookup_key: str | None = Field(
        default=None, description="Key of the hashes that find documents; default under data_dir."
    )
    sms_url: str | None = Field(default=None, description="SMS carrier; default: the simulator.")
    sms_access_key: str = "admit"
    sms_secret: str = "dev-secret"
    sms_sign_name: str = "Admit"
    identity_url: str | None = Field(
        default=None, description="Public-security identity service; default: the simulator."
    )
    identity_app_id: str = "admit"
    identity_secret: str = "dev-secret"
    bank_url: str | None = Field(
        default=None, description="The bank payment gateway; default: the simulator."
    )
    bank_merchant_id: str = "admit"
    bank_secret: str = "dev-secret"
    smtp_host: str | None = Field(
        default=None, description="Mail server; without one, mail is written to data_dir/mail."
    )
    smtp_port: int = 25
    simulators_in_process: bool = Field(
        default=True,
        description="Serve the SMS, identity, bank, cinema and OpenID Connect simulators under "
        "/_sim (demo and "
        "development).",
    )
    oidc_providers: list[OidcProviderSettings] = Field(
        default_factory=list,
        description="OpenID Connect providers offered on the sign-in page, a JSON list; with "
        "simulators_in_process the IdP simulator is offered too.",
    )
    public_url: str | None = Field(
        default=None, description="How this server is reached; default http://host:port."
    )
    trusted_proxies: int = Field(
        default=0, description="How many proxies' X-Forwarded-For entries to trust for client IPs."
    )
    # Abuse limits (``admit.http.throttle``): token buckets, shared through Redis when configured.
    limit_codes_per_address_hour: int = Field(
        default=20, ge=1, description="One-time codes requested from one address in an hour."
    )
    limit_codes_per_number_day: int = Field(
        default=10, ge=1, description="One-time codes sent to one phone number or email in a day."
    )
    limit_codes_global_per_minute: int = Field(
        default=600,
        ge=1,
        description="Codes the whole platform sends in a minute (the SMS budget).",
    )
    limit_registrations_per_address_hour: int = Field(
        default=10, ge=1, description="Registration attempts from one address in an hour."
    )
    limit_codes_per_device_hour: int = Field(
        default=10, ge=1, description="One-time codes requested from one device in an hour."
    )
    limit_registrations_per_device_hour: int = Field(
        default=5, ge=1, description="Registration attempts from one device in an hour."
    )
    limit_holds_per_address_minute: int = Field(
        default=30, ge=1, description="Seat holds placed from one address in a minute."
    )
    limit_holds_per_device_minute: int = Field(
        default=10, ge=1, description="Seat holds placed from one device (X-Device-Id) in a minute."
    )
    limit_waiting_joins_per_address_minute: int = Field(
        default=10, ge=1, description="Waiting-room joins from one address in a minute."
    )
    limit_client_errors_per_address_minute: int = Field(
        default=20, ge=1, description="Script errors reported by pages from one address a minute."
    )
    # Request budgets at the edge (``admit.http.edge_limits``): every request of its class.
    limit_api_per_address_minute: int = Field(
        default=1200,
        ge=1,
        description="Requests to the public and customer API from one address in a minute.",
    )
    limit_counter_per_address_minute: int = Field(
        default=2400,
        ge=1,
        description="Requests to the counter API from one address (an outlet) in a minute.",
    )
    limit_pages_per_address_minute: int = Field(
        default=600, ge=1, description="Page requests from one address in a minute."
    )
    limit_sign_in_per_address_minute: int = Field(
        default=60,
        ge=1,
        description="Sign-in attempts (customer, staff, pages) from one address in a minute.",
    )
    limit_customer_per_account_minute: int = Field(
        default=600, ge=1, description="API requests with one customer's tokens in a minute."
    )
    limit_staff_per_account_minute: int = Field(
        default=1200, ge=1, description="API requests with one staff member's tokens in a minute."
    )
    limit_exempt_networks: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="Addresses no request budget applies to, as a JSON list of networks "
        "('[\"10.0.0.0/8\"]'): load generators, monitoring. Empty by default.",
    )
    pickups_per_person_day: int = Field(
        default=5,
        ge=1,
        description="Orders one person (one document) may collect at the counters in a local day.",
    )
    new_account_hold_delay_seconds: int = Field(
        default=0,
        ge=0,
        description="How long a new account waits before it may hold seats (demo: 0; "
        "production: 600, docs/operations.md).",
    )

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'admit.db').resolve()}"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
