"""Test fixtures: every integration test runs on SQLite and on PostgreSQL.

Each test gets its own database cloned from a migrated template (a copied file on SQLite,
``CREATE DATABASE … TEMPLATE`` on PostgreSQL), so services commit for real and nothing leaks
between tests. Under pytest-xdist every worker is its own process with its own templates and
databases (named by process id). PostgreSQL must be reachable: a missing server fails the run,
never skips it. docs/testing.md says how the suite runs and what it costs."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import itertools
import logging
import os
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import structlog
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from hypothesis import settings as hypothesis_settings

from admit.accounts import staff
from admit.accounts.documents import cn_id_check_char
from admit.accounts.verifier import HttpIdentityVerifier, IdentityVerifier
from admit.app import create_app
from admit.core.audit_context import Actor
from admit.core.clock import FixedClock
from admit.core.config import Settings
from admit.core.logging import QUIETED_LOGGERS
from admit.core.permissions import Grant, Role
from admit.core.ratelimit import MemoryRateLimiter, RateLimiter
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.messaging.email import EmailSender, FileEmailSender
from admit.messaging.sms import SmsGateway
from admit.migrations import upgrade
from admit.sims.police import PoliceSimConfig, create_police_app
from tests.engine_report import pytest_terminal_summary  # noqa: F401  (the hook)
from tests.fakes.sms import RecordingSmsGateway
from tests.parallel import pytest_xdist_make_scheduler  # noqa: F401  (the hook)

PG_ADMIN_DSN = os.environ.get("ADMIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
TEST_ACTOR = Actor(kind="staff", id="test", name="test")
ROOT_PASSWORD = "Correct horse battery 9"
_counter = itertools.count()

# Hypothesis: ``ci`` (the default, what `make test` runs) keeps each test's example counts and
# drops only the per-example deadline, a timing assertion that parallel workers on two cores
# would trip; ``dev`` (HYPOTHESIS_PROFILE=dev, `make test-fast`) is lighter where a test does not
# fix its own count.
hypothesis_settings.register_profile("ci", deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None, max_examples=20)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _pg_url(database: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{database}"


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_admin_sync(sql: str) -> None:
    """For session fixtures that may be set up while a test's event loop is running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _pg_admin(sql)).result()


def clone_database_sql(name: str, template: str) -> str:
    """A copy of the migrated template, written through the WAL (PostgreSQL 15's default,
    spelt out because the other way looks faster and is not: ``FILE_COPY`` forces a checkpoint
    per copy, and with the suite's other databases dirty it cost 0.55 s of kernel time per test
    against 0.15 s, docs/testing.md)."""
    return f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY WAL_LOG"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    name = f"admit_tpl_{os.getpid()}"
    _pg_admin_sync(f"DROP DATABASE IF EXISTS {name}")
    _pg_admin_sync(f"CREATE DATABASE {name}")
    upgrade(_pg_url(name))
    yield name
    _pg_admin_sync(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "admit.db"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"admit_t_{os.getpid()}_{next(_counter)}"
    await _pg_admin(clone_database_sql(name, template_name))
    try:
        yield _pg_url(name)
    finally:
        await _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def logging_kept() -> Iterator[None]:
    """Put back what ``admit.core.logging.configure_logging`` changes for the whole process (the
    root's handlers, its and the quieted loggers' levels, structlog's configuration) once the
    block is over: a command run in process (``admit …`` through Typer's runner) configures
    logging."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in QUIETED_LOGGERS)]
    levels = [(logger, logger.level) for logger in loggers]
    handlers = logging.getLogger().handlers[:]
    structlog_config = structlog.get_config()
    try:
        yield
    finally:
        for logger, level in levels:
            logger.setLevel(level)
        logging.getLogger().handlers[:] = handlers
        structlog.configure(**structlog_config)


@pytest.fixture(autouse=True)
def _logging_put_back() -> Iterator[None]:
    """No test depends on which test ran before it in the same worker for its logging."""
    with logging_kept():
        yield


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def police_population() -> dict[str, str]:
    """Real people of the identity simulator (mainland ID numbers with valid check characters)."""
    people = {}
    for first17, name in (
        ("11010519491231002", "张三"),
        ("44052419800101001", "李四"),
        ("31010119900101123", "王五"),
    ):
        people[first17 + cn_id_check_char(first17)] = name
    return people


@pytest.fixture
def police_app() -> FastAPI:
    """The public-security simulator (its protocol, signatures and faults) in memory."""
    return create_police_app(
        PoliceSimConfig(app_id="admit", secret="dev-secret", population=police_population())
    )


@pytest.fixture
def sms(clock: FixedClock) -> RecordingSmsGateway:
    """The carrier fake: records every message and applies the carrier's rules."""
    return RecordingSmsGateway(clock=clock)


@pytest.fixture
async def runtime(
    db_url: str, tmp_path: Path, clock: FixedClock, sms: RecordingSmsGateway, police_app: FastAPI
) -> AsyncIterator[Runtime]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=db_url,
        run_worker_in_process=False,
        availability_cache_seconds=0,
        simulators_in_process=False,
        # Tests race a hundred tasks on one pool on a machine running the whole suite: a wait
        # for a connection, or for a new one to open, is not what they test (production
        # answers 503 after 10 s and 2 s; the outage tests set their own runtimes).
        db_pool_timeout_seconds=30,
        db_connect_timeout_seconds=30,
    )
    rt = Runtime.from_settings(settings, clock=clock)
    rt.register(SmsGateway, sms)  # type: ignore[type-abstract]
    police = httpx.AsyncClient(transport=httpx.ASGITransport(app=police_app))
    verifier = HttpIdentityVerifier("http://police.test", "admit", "dev-secret", client=police)
    rt.register(IdentityVerifier, verifier)  # type: ignore[type-abstract]
    rt.register(RateLimiter, MemoryRateLimiter())  # type: ignore[type-abstract]
    rt.register(EmailSender, FileEmailSender(tmp_path / "mail"))  # type: ignore[type-abstract]
    yield rt
    await rt.close()
    await police.aclose()


@pytest.fixture
async def uow(runtime: Runtime) -> AsyncIterator[UnitOfWork]:
    """A unit of work that commits at the end of the test body (for service-level tests)."""
    async with runtime.uow(TEST_ACTOR) as unit:
        yield unit


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime, run_worker=False)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://admit.test") as c:
        yield c


@pytest.fixture
async def admin_token(runtime: Runtime) -> str:
    async with runtime.uow(TEST_ACTOR) as unit:
        user = await staff.create_staff(
            unit,
            runtime.crypto,
            staff.NewStaff(
                username="root", password=ROOT_PASSWORD, grants=[Grant(Role.SYSTEM_ADMIN)]
            ),
            now=T0,
        )
        issued = await staff.issue_token(
            unit, staff_id=user.id, lifetime=timedelta(days=3650), now=T0
        )
    return issued.token


@pytest.fixture
async def admin(client: httpx.AsyncClient, admin_token: str) -> httpx.AsyncClient:
    client.headers["Authorization"] = f"Bearer {admin_token}"
    return client


class Inbox:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    """A real SMTP server on a free loopback port, run by aiosmtpd in its own thread."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@pytest.hookimpl(tryfirst=True)  # after pytest-randomly's shuffle, which it keeps within each part
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked ``long`` start first, so that none of them finishes alone at the end of
    a parallel run (tests/parallel.py)."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
