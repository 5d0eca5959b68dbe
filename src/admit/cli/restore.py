"""``admit restore DIR`` and ``admit reconcile``.

A restore goes into an empty database, puts the backup's keys in place when the settings do
not give them, brings the schema to this release, checks the audit log against the manifest
and leaves the platform **reconciling** (``admit.core.platform_mode``): sales refuse and the
worker runs only the reconciliation (``admit.sales.reconcile``) until every payment the bank
captured since the backup is a paid order or a refund. ``admit reconcile`` runs it at once,
with a progress bar."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Annotated, Any

import typer
from alembic.script import ScriptDirectory
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import inspect, select

from admit.cli.backup import (
    KEYS_FILE,
    MANIFEST,
    libpq,
    read_keys,
    sha256,
    sqlite_path,
    taken_at,
)
from admit.cli.commands import _run, _settings, app, console
from admit.core.audit import AuditEntry
from admit.core.audit_context import SYSTEM
from admit.core.config import Settings
from admit.core.db import create_engine
from admit.core.platform_mode import enter_reconciling
from admit.core.runtime import Runtime
from admit.migrations import _on_own_loop, alembic_config, upgrade


def _refuse(message: str) -> typer.Exit:
    console.print(f"[red]Refusing to restore[/red]: {message}", soft_wrap=True)
    return typer.Exit(2)


def _manifest(directory: Path, settings: Settings) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise _refuse(f"{directory / MANIFEST} cannot be read ({exc})") from exc
    dump = directory / str(manifest.get("dump"))
    if not dump.is_file() or sha256(dump) != manifest.get("dump_sha256"):
        raise _refuse(f"{dump} is missing or does not match the manifest's SHA-256")
    backend = "sqlite" if settings.is_sqlite else "postgresql"
    if manifest.get("backend") != backend:
        raise _refuse(f"a {manifest.get('backend')} backup cannot go into a {backend} database")
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    if scripts.get_revision(str(manifest.get("schema_revision"))) is None:
        raise _refuse(
            f"schema {manifest.get('schema_revision')} is unknown to this release (a newer "
            "release took the backup)"
        )
    return manifest


async def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return list(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def _load_dump(url: str, dump: Path) -> None:
    if url.startswith("sqlite"):
        target = sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dump, target)
        return
    conninfo, env = libpq(url)
    done = subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", conninfo, str(dump)],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise _refuse(f"pg_restore failed: {done.stderr.strip()[-500:]}")


def _put_keys(directory: Path, settings: Settings) -> list[str]:
    """The backup's keys into ``data_dir/keys`` for each key the settings do not give (never
    over a different key file); the names of the settings that give a key instead."""
    keys = read_keys(directory)
    key_dir = settings.data_dir / "keys"
    given = []
    for setting, file, value in (
        ("ADMIT_FIELD_KEYS", "field.key", settings.field_keys),
        ("ADMIT_LOOKUP_KEY", "lookup.key", settings.lookup_key),
    ):
        if value:
            given.append(setting)
            continue
        wanted = keys[setting]
        if file == "field.key" and "," in wanted:
            raise _refuse(
                f"the backup has several field keys: set {setting} to {KEYS_FILE}'s value"
            )
        path = key_dir / file
        if path.exists():
            if path.read_text().strip() != wanted:
                raise _refuse(f"{path} holds another key: move it away first")
            continue
        key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(wanted)
    return given


async def _audit_matches(rt: Runtime, seq: int, digest: str) -> bool:
    """The restored audit log holds the manifest's newest entry with its hash."""
    if seq == 0:
        return True
    async with rt.uow(SYSTEM, readonly=True) as uow:
        found = await uow.session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))
    return found == digest


@app.command("restore")
def restore(
    directory: Annotated[Path, typer.Argument(help="A directory written by `admit backup`.")],
) -> None:
    """Restore a backup into an empty database and leave the platform reconciling: sales
    refuse and the worker reconciles payments made since the backup with the bank first."""
    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(directory, settings)
    url = settings.effective_database_url
    if _on_own_loop(_tables(url)):
        raise _refuse(f"the database is not empty: restore into a new one ({KEYS_FILE} aside)")
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("Loading the dump", total=4)
        _load_dump(url, directory / str(manifest["dump"]))
        bar.update(task, advance=1, description="Putting the keys back")
        given = _put_keys(directory, settings)
        bar.update(task, advance=1, description="Bringing the schema up to date")
        upgrade(url)
        bar.update(task, advance=1, description="Entering reconciling mode")
        seq, digest = int(manifest["audit"]["seq"]), str(manifest["audit"]["hash"])

        async def work(rt: Runtime) -> bool:
            matches = await _audit_matches(rt, seq, digest)
            async with rt.uow(SYSTEM) as uow:
                await enter_reconciling(
                    uow,
                    backup_at=taken_at(manifest),
                    now=rt.clock.now(),
                    note=f"restored from {directory.name}",
                )
            return matches

        matches = _run(work, settings)
        bar.update(task, advance=1, description="Restored")
    if given:
        console.print(
            f"Keys from the settings ({', '.join(given)}) were kept: they must be the ones in "
            f"{directory / KEYS_FILE}.",
            soft_wrap=True,
        )
    if not matches:
        console.print(
            f"[red]The audit log does not hold the manifest's entry {seq} ({digest})[/red]: "
            "the dump and the manifest are not of the same backup.",
            soft_wrap=True,
        )
        raise typer.Exit(1)
    console.print(
        f"[green]Restored[/green] the backup of {manifest['taken_at']} (audit entry {seq} "
        "matches). The platform is [bold]reconciling[/bold]: sales refuse until payments made "
        "since the backup are reconciled — start `admit worker` or run `admit reconcile`.",
        soft_wrap=True,
    )


@app.command("reconcile")
def reconcile_command() -> None:
    """Reconcile payments made since a restored backup with the bank (statements and
    queries): each captured payment ends as a paid order with tickets or a refund; then
    sales reopen. Nothing to do outside reconciling mode."""
    from admit.app import create_app
    from admit.sales.reconcile import reconcile

    async def work(rt: Runtime) -> dict[str, Any] | None:
        create_app(rt, run_worker=False)  # the gateways' adapters and the job handlers
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
        ) as bar:
            task = bar.add_task("Reconciling", total=None)

            def progress(what: str, done: int, total: int) -> None:
                bar.update(task, description=what, completed=done, total=total)

            return await reconcile(rt, progress=progress)

    summary = _run(work)
    if summary is None:
        console.print("Not reconciling: nothing to do")
        return
    console.print(f"[green]Reconciled[/green]; sales are open again: {summary}", soft_wrap=True)
