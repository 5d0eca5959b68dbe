"""Request and response models of the accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from admit.accounts.staff_import import ImportStatus
from admit.core.permissions import Grant, Role, ScopeKind

Username = Annotated[str, Field(min_length=3, max_length=80, pattern=r"^[a-z0-9_.-]+$")]
Phone = Annotated[str, Field(pattern=r"^1[3-9]\d{9}$", description="mainland mobile number")]
Password = Annotated[str, Field(min_length=1, max_length=128)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GrantIn(Model):
    role: Role
    scope: ScopeKind = ScopeKind.GLOBAL
    scope_id: Annotated[str, Field(min_length=1, max_length=40)] | None = None

    def to_grant(self) -> Grant:
        return Grant(self.role, self.scope, self.scope_id)


class StaffIn(Model):
    username: Username
    password: Password
    display_name: str = Field(default="", max_length=120)
    phone: Phone | None = None
    grants: list[GrantIn] = Field(min_length=1, max_length=20)


class StaffOut(Model):
    id: int
    username: str
    display_name: str
    phone: str | None
    locked: bool
    grants: list[GrantIn]


class GrantsIn(Model):
    grants: list[GrantIn] = Field(min_length=1, max_length=20)


class StaffLoginIn(Model):
    username: Annotated[str, Field(min_length=1, max_length=80)]
    password: Password


class TokenOut(Model):
    token: str
    expires_at: datetime


class PasswordChangeIn(Model):
    username: Annotated[str, Field(min_length=1, max_length=80)]
    old_password: Password
    new_password: Password


class ImportRowOut(Model):
    line: int
    username: str
    status: ImportStatus
    problems: list[str]


class ImportOut(Model):
    created: int
    rows: list[ImportRowOut]


class PolicyIn(Model):
    min_length: int | None = Field(default=None, ge=8, le=128)
    min_classes: int | None = Field(default=None, ge=1, le=4)
    staff_rotation_days: int | None = Field(default=None, ge=0, le=3650)
    customer_rotation_days: int | None = Field(default=None, ge=0, le=3650)
    lockout_threshold: int | None = Field(default=None, ge=1, le=100)
    lockout_minutes: int | None = Field(default=None, ge=1, le=10080)
    ip_lockout_threshold: int | None = Field(default=None, ge=1, le=10000)
    ip_lockout_minutes: int | None = Field(default=None, ge=1, le=10080)
    max_devices: int | None = Field(default=None, ge=1, le=50)
    max_holders: int | None = Field(default=None, ge=1, le=50)


class PolicyOut(Model):
    min_length: int
    min_classes: int
    staff_rotation_days: int
    customer_rotation_days: int
    lockout_threshold: int
    lockout_minutes: int
    ip_lockout_threshold: int
    ip_lockout_minutes: int
    max_devices: int
    max_holders: int
