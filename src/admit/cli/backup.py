"""``admit backup DIR`` and ``admit audit head``: what a restore needs, in one directory.

The directory (created 0700) holds the database's dump (``pg_dump -Fc`` on PostgreSQL, the
online backup API on SQLite), ``keys.env`` (0600: the field-encryption and lookup keys, without
which every identity and phone number is unreadable — keep the directory as secret as the keys)
and ``manifest.json``: when the backup was taken, the schema revision, the audit log's newest
sequence number and hash, and the dump's SHA-256."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import text
from sqlalchemy.engine import make_url

from admit.cli.commands import _run, app, audit_app, console
from admit.core.audit import chain_all, latest
from admit.core.audit_context import SYSTEM
from admit.core.runtime import Runtime

MANIFEST = "manifest.json"
KEYS_FILE = "keys.env"
PG_DUMP = "admit.dump"
SQLITE_COPY = "admit.db"
FORMAT = 1


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """The libpq connection URI of a SQLAlchemy URL, without its password, and the
    environment that carries the password (never on a command line)."""
    parsed = make_url(url)
    user = f"{parsed.username}@" if parsed.username else ""
    port = f":{parsed.port}" if parsed.port else ""
    conninfo = f"postgresql://{user}{parsed.host or ''}{port}/{parsed.database or ''}"
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return conninfo, env


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    assert database, "a SQLite database file"
    return Path(database)


def _dump(url: str, directory: Path) -> Path:
    if url.startswith("sqlite"):
        target = directory / SQLITE_COPY
        with sqlite3.connect(sqlite_path(url)) as source, sqlite3.connect(target) as copy:
            source.backup(copy)  # a consistent copy while other processes write
        return target
    target = directory / PG_DUMP
    conninfo, env = libpq(url)
    done = subprocess.run(
        ["pg_dump", "-Fc", "--no-owner", "-f", str(target), "--dbname", conninfo],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise typer.BadParameter(f"pg_dump failed: {done.stderr.strip()[-500:]}")
    return target


def _private_dir(directory: Path) -> None:
    """``directory`` made (0700) and empty: a backup never overwrites another."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    if any(directory.iterdir()):
        raise typer.BadParameter(f"{directory} is not empty: back up into a new directory")


def write_keys(rt: Runtime, directory: Path) -> Path:
    path = directory / KEYS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"ADMIT_FIELD_KEYS={','.join(k.decode() for k in rt.crypto.keys)}\n")
        f.write(f"ADMIT_LOOKUP_KEY={rt.crypto.lookup_key.decode()}\n")
    return path


def read_keys(directory: Path) -> dict[str, str]:
    pairs = (line.partition("=") for line in (directory / KEYS_FILE).read_text().splitlines())
    return {name.strip(): value.strip() for name, _, value in pairs if name.strip()}


async def _revision(rt: Runtime) -> str:
    async with rt.uow(SYSTEM, readonly=True) as uow:
        return str(await uow.session.scalar(text("SELECT version_num FROM alembic_version")))


async def audit_head(rt: Runtime) -> tuple[int, str]:
    await chain_all(rt.uow)  # entries recorded but not yet chained are part of the head
    async with rt.uow(SYSTEM, readonly=True) as uow:
        return await latest(uow.session)


@app.command("backup")
def backup(
    directory: Annotated[Path, typer.Argument(help="A new directory for the backup.")],
) -> None:
    """Back up the database, the field-encryption and lookup keys and a manifest into DIR
    (0700; keep it as secret as the keys). Restore with `admit restore DIR`."""

    async def work(rt: Runtime) -> dict[str, Any]:
        _private_dir(directory)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
        ) as bar:
            task = bar.add_task("Recording the audit log's head", total=4)
            taken_at = rt.clock.now()
            seq, head = await audit_head(rt)
            revision = await _revision(rt)
            bar.update(task, advance=1, description="Dumping the database")
            dump = _dump(rt.settings.effective_database_url, directory)
            bar.update(task, advance=1, description="Writing the keys")
            write_keys(rt, directory)
            bar.update(task, advance=1, description="Writing the manifest")
            manifest = {
                "format": FORMAT,
                "taken_at": taken_at.isoformat(),
                "finished_at": rt.clock.now().isoformat(),
                "backend": "sqlite" if rt.settings.is_sqlite else "postgresql",
                "schema_revision": revision,
                "audit": {"seq": seq, "hash": head},
                "dump": dump.name,
                "dump_sha256": sha256(dump),
                "keys": KEYS_FILE,
            }
            (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
            bar.update(task, advance=1, description="Done")
        return manifest

    manifest = _run(work)
    console.print(
        f"[green]Backup written[/green] to {directory}: schema {manifest['schema_revision']}, "
        f"audit log at entry {manifest['audit']['seq']} ({manifest['audit']['hash']}). "
        f"{KEYS_FILE} holds the keys: store the directory as secretly as them.",
        soft_wrap=True,
    )


@audit_app.command("head")
def head() -> None:
    """Print the audit log's newest sequence number and hash: record them outside the
    database at backup time (a restore compares them)."""
    seq, digest = _run(audit_head)
    console.print(f"{seq} {digest}", soft_wrap=True, highlight=False)


def taken_at(manifest: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(manifest["taken_at"]))
