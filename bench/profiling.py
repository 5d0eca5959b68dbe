"""Where a server's time goes: ``py-spy record`` samples the server processes (from outside,
without pausing them) while a scenario runs, writing collapsed stacks; from those come the
top functions (own time and with callees), the time per package, and an SVG flame graph."""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

LOOP = "Runner.run (asyncio/runners.py)"
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return found if Path(found).exists() else None


@contextlib.contextmanager
def sampling(pids: Sequence[int], out: Path, rate: int = 100) -> Iterator[list[Path]]:
    """Record every pid until the block ends; yields the raw files written on the way out."""
    exe = py_spy()
    files = [out.with_name(f"{out.name}-{pid}.txt") for pid in pids]
    if exe is None:
        yield []
        return
    procs = [
        subprocess.Popen(
            [exe, "record", "--pid", str(pid), "--rate", str(rate), "--nonblocking"]
            + ["--format", "raw", "--output", str(f)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid, f in zip(pids, files, strict=True)
    ]
    try:
        yield files
    finally:
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()


def _short(frame: str) -> str:
    """``func (path/to/site-packages/pkg/mod.py:12)`` → ``func (pkg/mod.py)``."""
    m = FRAME.match(frame)
    if not m:
        return frame
    path = m["file"]
    for marker in ("site-packages/", "/src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{m['func']} ({path})"


def _package(frame: str) -> str:
    m = FRAME.match(_short(frame))
    if not m:
        return "?"
    parts = m["file"].split("/")
    if parts[0] == "admit" and len(parts) > 2:
        return f"admit.{parts[1]}"
    return parts[0].removesuffix(".py") if parts else "?"


@dataclass
class Profile:
    samples: int = 0
    own: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    packages: Counter[str] = field(default_factory=Counter)
    stacks: Counter[tuple[str, ...]] = field(default_factory=Counter)

    use_cases: Counter[str] = field(default_factory=Counter)
    other_threads: int = 0

    def add(self, line: str) -> None:
        """One collapsed stack. Only the event loop's thread counts (other threads of a
        server are idle pool threads waiting on a condition)."""
        stack_text, _, count_text = line.rstrip().rpartition(" ")
        if not stack_text or not count_text.isdigit():
            return
        n = int(count_text)
        frames = tuple(_short(f) for f in stack_text.split(";"))
        if not any(f.startswith(LOOP) for f in frames):
            self.other_threads += n
            return
        self.samples += n
        self.own[frames[-1]] += n
        self.packages[_package(stack_text.split(";")[-1])] += n
        for f in set(frames):
            self.total[f] += n
        self.use_cases[_deepest_admit(frames)] += n
        self.stacks[frames] += n

    def summary(self, top: int = 15) -> dict[str, Any]:
        def pct(counter: Counter[str]) -> list[tuple[str, float]]:
            return [(k, round(100 * v / self.samples, 1)) for k, v in counter.most_common(top)]

        admit = Counter({k: v for k, v in self.total.items() if "(admit/" in k and _is_work(k)})
        return {
            "samples": self.samples,
            "other_thread_samples": self.other_threads,
            "own": pct(self.own),
            "packages": pct(self.packages),
            "admit_with_callees": pct(admit),
            "deepest_admit_frame": pct(self.use_cases),
        }


def _is_work(frame: str) -> bool:
    name = frame.split(" (")[0]
    return not (name in ("main", "serve", "_serve", "<module>") or "Middleware" in name)


def _deepest_admit(frames: tuple[str, ...]) -> str:
    """The innermost frame of the platform's own code: which use case a sample served."""
    for f in reversed(frames):
        if "(admit/" in f and _is_work(f):
            return f
    return "(outside admit: server, framework, driver)"


def read_profile(files: Sequence[Path]) -> Profile:
    profile = Profile()
    for f in files:
        if f.exists():
            for line in f.read_text(errors="replace").splitlines():
                profile.add(line)
    return profile


def flame_svg(profile: Profile, title: str, width: int = 1600, row: int = 16) -> str:
    """A flame graph (root at the bottom) of the collapsed stacks, one rect per frame with
    its share in the tooltip."""
    tree: dict[str, Any] = {"n": 0, "kids": {}}
    for frames, n in profile.stacks.items():
        node = tree
        node["n"] += n
        for f in frames:
            node = node["kids"].setdefault(f, {"n": 0, "kids": {}})
            node["n"] += n
    depth = max((len(s) for s in profile.stacks), default=0) + 1
    height = (depth + 2) * row
    rects: list[str] = []
    scale = width / max(tree["n"], 1)

    def draw(node: dict[str, Any], name: str, x: float, level: int) -> None:
        w = node["n"] * scale
        if w < 0.5:
            return
        y = height - (level + 1) * row
        share = 100 * node["n"] / max(tree["n"], 1)
        hue = 10 + hash(name.split(" (")[-1]) % 50
        label = html.escape(name if len(name) * 7 < w else name[: max(int(w / 7) - 1, 0)])
        rects.append(
            f"<g><title>{html.escape(name)} — {share:.1f}%</title>"
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" '
            f'fill="hsl({hue},80%,60%)"/>'
            f'<text x="{x + 2:.1f}" y="{y + row - 4}" font-size="11">{label}</text></g>'
        )
        for kid_name, kid in sorted(node["kids"].items()):
            draw(kid, kid_name, x, level + 1)
            x += kid["n"] * scale

    draw(tree, f"all ({profile.samples} samples)", 0.0, 0)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="monospace"><text x="4" y="14">{html.escape(title)}</text>'
        + "".join(rects)
        + "</svg>"
    )


# --- PostgreSQL: what the backends wait on ---------------------------------------------------

WAITS_SQL = """
SELECT state, coalesce(wait_event_type || ':' || wait_event, 'CPU') AS waiting,
       regexp_replace(left(query, 70), '\\s+', ' ', 'g') AS query
FROM pg_stat_activity
WHERE datname = $1 AND pid <> pg_backend_pid() AND state <> 'idle'"""


@dataclass
class Waits:
    """Samples of ``pg_stat_activity`` for one database: how many backends were busy, and
    on what (a lock on a row, the client, I/O, or running)."""

    samples: int = 0
    busy: Counter[str] = field(default_factory=Counter)  # wait kind → backend-samples
    statements: Counter[str] = field(default_factory=Counter)  # kind | statement → samples

    def summary(self, top: int = 12) -> dict[str, Any]:
        total = max(sum(self.busy.values()), 1)
        return {
            "samples": self.samples,
            "busy_backends_avg": round(sum(self.busy.values()) / max(self.samples, 1), 1),
            "waits": [(k, round(100 * v / total, 1)) for k, v in self.busy.most_common(top)],
            "statements": [
                (k, round(100 * v / total, 1)) for k, v in self.statements.most_common(top)
            ],
        }


@contextlib.contextmanager
def pg_waits(dsn: str, database: str, every: float = 0.1) -> Iterator[Waits]:
    """Sample the database's active backends every ``every`` seconds from a thread of its
    own while the block runs."""
    found = Waits()
    stop = threading.Event()

    async def sample() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            while not stop.is_set():
                rows = await conn.fetch(WAITS_SQL, database)
                found.samples += 1
                for r in rows:
                    kind = f"{r['state']} / {r['waiting']}"
                    found.busy[kind] += 1
                    found.statements[f"{kind} | {r['query']}"] += 1
                await asyncio.sleep(every)
        finally:
            await conn.close()

    worker = threading.Thread(target=lambda: asyncio.run(sample()), daemon=True)
    worker.start()
    try:
        yield found
    finally:
        stop.set()
        worker.join(timeout=10)
