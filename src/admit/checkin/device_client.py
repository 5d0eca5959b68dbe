"""The reference device client (``admit gate-sim``): behaves as a scanner does — registered by
staff, downloads its session's manifest (then only updates), validates codes offline with
the shared rules in ``validation``, keeps its scans and uploads them in batches (or exports
them to a file when the server cannot be reached). Used by the tests and the benchmark."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import httpx

from admit.checkin.validation import Direction, Manifest, Validator, Verdict
from admit.core.clock import Clock, SystemClock

API = "/api/v1"


class DeviceError(RuntimeError):
    """The server refused a request; ``status`` and ``body`` say how."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"{response.status_code}: {response.text[:300]}")
        self.status = response.status_code
        self.body = response.text


@dataclass(frozen=True, slots=True)
class PendingScan:
    scan_id: str
    code: str | None
    gate: str
    direction: str
    result: str
    detail: str | None
    device_time: str


def _checked(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise DeviceError(response)
    return response.json()


async def register(
    http: httpx.AsyncClient,
    *,
    staff_token: str,
    number: str,
    venue_id: int,
    gate: str | None = None,
    device_type: str = "handheld",
) -> str:
    """Register a device as staff (``gate.manage``) would; the device's credential."""
    body = _checked(
        await http.post(
            f"{API}/admin/gate-devices",
            headers={"Authorization": f"Bearer {staff_token}"},
            json={
                "number": number,
                "device_type": device_type,
                "venue_id": venue_id,
                "gate": gate,
            },
        )
    )
    return str(body["credential"])


class DeviceClient:
    """One device working one session."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        credential: str,
        *,
        gate: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.http = http
        self.headers = {"X-Device-Key": credential}
        self.gate = gate
        self.clock = clock or SystemClock()
        self.number = ""
        self.validator: Validator | None = None
        self.pending: list[PendingScan] = []

    async def whoami(self) -> dict[str, Any]:
        """The device, its gate (taken as this client's gate unless one was given) and its
        venue's sessions."""
        me: dict[str, Any] = _checked(
            await self.http.get(f"{API}/gate/device", headers=self.headers)
        )
        self.number = me["number"]
        self.gate = self.gate or me["gate"]
        return me

    async def sync_manifest(self, session_id: int) -> Manifest:
        """Download the session's manifest, or only what changed since the one held."""
        old = self.validator
        held = old.manifest if old else None
        params = {"since": held.version} if held and held.session_id == session_id else {}
        doc = _checked(
            await self.http.get(
                f"{API}/gate/sessions/{session_id}/manifest", headers=self.headers, params=params
            )
        )
        if held is not None and params and not doc["full"]:
            held.apply(doc)
            return held
        manifest = Manifest.from_document(doc)
        seen = old.seen if old is not None and old.manifest.session_id == session_id else {}
        self.validator = Validator(manifest)
        self.validator.seen = seen
        return manifest

    def validate(
        self,
        text: str,
        *,
        now: datetime | None = None,
        direction: Direction = "in",
        id_number: str | None = None,
    ) -> Verdict:
        """Decide one scan offline and keep it for upload."""
        if self.validator is None:
            raise RuntimeError("download a manifest first")
        at = now or self.clock.now()
        gate = self.gate or "-"
        verdict = self.validator.scan(
            text, gate=gate, now=at, direction=direction, id_number=id_number
        )
        self.pending.append(
            PendingScan(
                scan_id=str(uuid.uuid4()),
                code=verdict.code,
                gate=gate,
                direction=direction,
                result=verdict.result,
                detail=verdict.detail[:60] if verdict.detail else None,
                device_time=at.isoformat(),
            )
        )
        return verdict

    async def upload(self, *, batch: int = 1000) -> list[dict[str, Any]]:
        """Send the kept scans in batches; a batch leaves the queue only once accepted, so
        a failed upload is simply sent again later (the server skips what it has)."""
        if self.validator is None:
            raise RuntimeError("download a manifest first")
        session_id = self.validator.manifest.session_id
        answers = []
        while self.pending:
            part = self.pending[:batch]
            answers.append(
                _checked(
                    await self.http.post(
                        f"{API}/gate/sessions/{session_id}/scans",
                        headers=self.headers,
                        json={"scans": [asdict(p) for p in part]},
                    )
                )
            )
            del self.pending[: len(part)]
        return answers

    def export_lines(self) -> str:
        """The kept scans as a file of JSON lines (for the administrator's import)."""
        return "".join(
            json.dumps({"device": self.number, **asdict(p)}, sort_keys=True) + "\n"
            for p in self.pending
        )
