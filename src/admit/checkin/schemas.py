"""Request and response shapes of the gate's HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from admit.checkin.devices import DeviceType
from admit.checkin.gates import GateKind

Code = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_.-]+$")]
Label = Annotated[str, Field(min_length=1, max_length=20)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GateIn(Model):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=120)]
    kind: GateKind = "entrance"
    parent: Code | None = None


class GatePatch(Model):
    name: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    active: bool | None = None


class GateOut(Model):
    id: int
    venue_id: int
    code: str
    name: str
    kind: GateKind
    parent_id: int | None
    active: bool


class DeviceIn(Model):
    number: Annotated[str, Field(min_length=1, max_length=40)]
    device_type: DeviceType
    venue_id: int
    description: Annotated[str, Field(max_length=200)] = ""
    ip: Annotated[str, Field(max_length=45)] | None = None
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    communication_id: Annotated[str, Field(max_length=60)] | None = None
    location: Annotated[str, Field(max_length=200)] = ""
    gate: Code | None = None


class DevicePatch(Model):
    description: Annotated[str, Field(max_length=200)] | None = None
    ip: Annotated[str, Field(max_length=45)] | None = None
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    communication_id: Annotated[str, Field(max_length=60)] | None = None
    location: Annotated[str, Field(max_length=200)] | None = None
    gate: Code | None = None
    active: bool | None = None


class DeviceOut(Model):
    id: int
    number: str
    device_type: DeviceType
    description: str
    ip: str | None
    port: int | None
    communication_id: str | None
    venue_id: int
    location: str
    gate: str | None
    key_id: str
    active: bool
    registered_at: datetime
    last_seen_at: datetime | None


class RegisteredOut(Model):
    device: DeviceOut
    credential: str  # shown once: "<key_id>.<secret>"


class RuleIn(Model):
    gate: Code
    sections: list[Label] = Field(default_factory=list, max_length=200)
    levels: list[Label] = Field(default_factory=list, max_length=50)
    kinds: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=50
    )


class PolicyIn(Model):
    identity_check: bool = False
    reentry: bool = False
    admit_from: AwareDatetime | None = None
    admit_until: AwareDatetime | None = None
    rules: list[RuleIn] = Field(default_factory=list, max_length=500)


class PolicyOut(Model):
    session_id: int
    identity_check: bool
    reentry: bool
    admit_from: datetime
    admit_until: datetime
    rules: list[RuleIn]


class ScanIn(Model):
    scan_id: Annotated[str, Field(min_length=8, max_length=36)]
    code: Annotated[str, Field(max_length=24)] | None = None
    gate: Code
    direction: Literal["in", "out"] = "in"
    result: Annotated[str, Field(min_length=1, max_length=20)]
    detail: Annotated[str, Field(max_length=60)] | None = None
    device_time: AwareDatetime


class ScansIn(Model):
    scans: list[ScanIn] = Field(max_length=5000)


class UploadOut(Model):
    received: int
    new: int
    duplicates: int
    conflicts: list[str]


class DeviceSessionOut(Model):
    id: int
    code: str
    name: str
    starts_at: datetime
    ends_at: datetime


class DeviceMeOut(Model):
    number: str
    device_type: DeviceType
    venue_id: int
    gate: str | None
    sessions: list[DeviceSessionOut]
