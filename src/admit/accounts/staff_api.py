"""Staff sign-in, staff administration (U4, U5) and the security policy (SEC1)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from admit.accounts import security, staff, staff_import
from admit.accounts.models import StaffGrant, StaffUser
from admit.accounts.password_rules import is_locked
from admit.accounts.permissions import Permission
from admit.accounts.schemas import (
    GrantIn,
    GrantsIn,
    ImportOut,
    ImportRowOut,
    PasswordChangeIn,
    PolicyIn,
    PolicyOut,
    StaffIn,
    StaffLoginIn,
    StaffOut,
    TokenOut,
)
from admit.core.errors import InvalidInput
from admit.core.uow import UnitOfWork
from admit.http.deps import ClientIP, Now, PublicUoW, RuntimeDep, staff_reader, staff_writer
from admit.http.errors import error_response
from admit.messaging.dispatch import queue_message

router = APIRouter(tags=["staff"])
Manager = Annotated[UnitOfWork, staff_writer(Permission.STAFF_MANAGE)]
ManagerReader = Annotated[UnitOfWork, staff_reader(Permission.STAFF_MANAGE)]
Operator = Annotated[UnitOfWork, staff_writer(Permission.ACCOUNTS_OPERATE)]
PolicyWriter = Annotated[UnitOfWork, staff_writer(Permission.SECURITY_POLICY)]
PolicyReader = Annotated[UnitOfWork, staff_reader(Permission.SECURITY_POLICY)]
MAX_IMPORT_BYTES = 2 * 1024 * 1024


@router.post("/auth/staff/login", response_model=TokenOut)
async def log_in(
    body: StaffLoginIn, uow: PublicUoW, rt: RuntimeDep, ip: ClientIP, now: Now
) -> TokenOut | JSONResponse:
    """A bearer token for the staff API. Failures count towards account and address lockout."""
    attempt = await staff.log_in(
        uow,
        username=body.username,
        password=body.password,
        ip=ip,
        now=now,
        lifetime=timedelta(hours=rt.settings.staff_token_hours),
    )
    if attempt.refusal is not None or attempt.token is None:
        return error_response(attempt.refusal)
    return TokenOut(token=attempt.token.token, expires_at=attempt.token.expires_at)


@router.post("/auth/staff/password", status_code=204)
async def change_password(body: PasswordChangeIn, uow: PublicUoW, now: Now) -> None:
    await staff.change_password(
        uow, username=body.username, old=body.old_password, new=body.new_password, now=now
    )


async def _staff_out(uow: UnitOfWork, user: StaffUser, now_locked: bool) -> StaffOut:
    grants = (
        await uow.session.scalars(
            select(StaffGrant).where(StaffGrant.staff_id == user.id).order_by(StaffGrant.id)
        )
    ).all()
    return StaffOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        phone=f"{user.phone[:3]}****{user.phone[-4:]}" if user.phone else None,
        locked=now_locked,
        grants=[
            GrantIn.model_validate({"role": g.role, "scope": g.scope, "scope_id": g.scope_id})
            for g in grants
        ],
    )


@router.post("/admin/staff", status_code=201)
async def create_staff(body: StaffIn, uow: Manager, now: Now) -> StaffOut:
    user = await staff.create_staff(
        uow,
        staff.NewStaff(
            username=body.username,
            password=body.password,
            display_name=body.display_name,
            phone=body.phone,
            grants=[g.to_grant() for g in body.grants],
        ),
        now=now,
    )
    return await _staff_out(uow, user, False)


@router.get("/admin/staff")
async def list_staff(uow: ManagerReader, now: Now) -> list[StaffOut]:
    users = (await uow.session.scalars(select(StaffUser).order_by(StaffUser.username))).all()
    return [
        await _staff_out(uow, u, u.locked_by_operator or is_locked(u.locked_until, now))
        for u in users
    ]


@router.put("/admin/staff/{staff_id}/grants", status_code=204)
async def set_grants(staff_id: int, body: GrantsIn, uow: Manager, now: Now) -> None:
    await staff.set_grants(
        uow, staff_id=staff_id, grants=[g.to_grant() for g in body.grants], now=now
    )


@router.post("/admin/staff/import")
async def import_staff(
    request: Request,
    uow: Manager,
    rt: RuntimeDep,
    now: Now,
    dry_run: Annotated[bool, Query()] = False,
) -> ImportOut:
    """CSV ``username,display_name,phone,roles``: all rows or none; initial passwords by SMS."""
    data = await request.body()
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput("the file is larger than 2 MiB")
    reports, created = await staff_import.import_staff(uow, data=data, now=now, dry_run=dry_run)
    for person in created:
        await queue_message(
            uow,
            rt.crypto,
            channel="sms",
            to=person.phone,
            template="SMS_PASSWORD_RESET",
            params={"password": person.initial_password},
            now=now,
        )
    return ImportOut(
        created=len(created), rows=[ImportRowOut.model_validate(asdict(r)) for r in reports]
    )


@router.post("/admin/staff/{staff_id}/lock", status_code=204)
async def lock(staff_id: int, uow: Operator, now: Now) -> None:
    await staff.set_locked(uow, staff_id=staff_id, locked=True, now=now)


@router.post("/admin/staff/{staff_id}/unlock", status_code=204)
async def unlock(staff_id: int, uow: Operator, now: Now) -> None:
    await staff.set_locked(uow, staff_id=staff_id, locked=False, now=now)


@router.post("/admin/staff/{staff_id}/reset-password", status_code=202)
async def reset_password(staff_id: int, uow: Operator, rt: RuntimeDep, now: Now) -> dict[str, str]:
    """A new password goes to the staff member's phone by SMS; it must be changed at login."""
    password, phone = await staff.reset_password(uow, staff_id=staff_id, now=now)
    await queue_message(
        uow,
        rt.crypto,
        channel="sms",
        to=phone,
        template="SMS_PASSWORD_RESET",
        params={"password": password},
        now=now,
    )
    return {"status": "sent by SMS"}


@router.get("/admin/security-policy")
async def get_policy(uow: PolicyReader) -> PolicyOut:
    return PolicyOut.model_validate(asdict(await security.get_policy(uow)))


@router.put("/admin/security-policy")
async def update_policy(body: PolicyIn, uow: PolicyWriter, now: Now) -> PolicyOut:
    changes = body.model_dump(exclude_none=True)
    return PolicyOut.model_validate(
        asdict(await security.update_policy(uow, changes=changes, now=now))
    )
