"""Staff sign-in, staff administration (U4, U5) and the security policy (SEC1)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy import select

from admit.accounts import security, staff, staff_import, staff_signin
from admit.accounts.documents import mask_phone
from admit.accounts.models import StaffUser
from admit.accounts.password_rules import is_locked
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
from admit.accounts.staff_hierarchy import check_may_grant
from admit.core.crypto import FieldCrypto
from admit.core.errors import InvalidInput
from admit.core.permissions import Permission
from admit.core.uow import UnitOfWork
from admit.http.contract import SIGN_IN
from admit.http.deps import (
    ClientIP,
    Now,
    PrincipalDep,
    PublicUoW,
    RuntimeDep,
    staff_reader,
    staff_writer,
)
from admit.http.errors import error_response
from admit.messaging.dispatch import queue_message

router = APIRouter(tags=["staff"])
Manager = Annotated[UnitOfWork, staff_writer(Permission.STAFF_MANAGE)]
ManagerReader = Annotated[UnitOfWork, staff_reader(Permission.STAFF_MANAGE)]
Operator = Annotated[UnitOfWork, staff_writer(Permission.ACCOUNTS_OPERATE)]
PolicyWriter = Annotated[UnitOfWork, staff_writer(Permission.SECURITY_POLICY)]
PolicyReader = Annotated[UnitOfWork, staff_reader(Permission.SECURITY_POLICY)]
MAX_IMPORT_BYTES = 2 * 1024 * 1024


@router.post(
    "/auth/staff/login", response_model=TokenOut, operation_id="staff_log_in", responses=SIGN_IN
)
async def log_in(
    body: StaffLoginIn, rt: RuntimeDep, ip: ClientIP, now: Now
) -> TokenOut | JSONResponse:
    """A bearer token for the staff API. Failures count towards account and address lockout;
    an unknown username and a wrong password answer alike (401 ``unauthorized``)."""
    attempt = await staff_signin.log_in(
        rt.uow,
        username=body.username,
        password=body.password,
        ip=ip,
        now=now,
        lifetime=timedelta(hours=rt.settings.staff_token_hours),
    )
    if attempt.refusal is not None or attempt.token is None:
        return error_response(attempt.refusal)
    return TokenOut(token=attempt.token.token, expires_at=attempt.token.expires_at)


@router.post("/auth/staff/password", status_code=204, response_model=None, responses=SIGN_IN)
async def change_password(
    body: PasswordChangeIn, rt: RuntimeDep, ip: ClientIP, now: Now
) -> JSONResponse | None:
    """Change one's own password (also the way out of an expired one); every token of the
    account stops working. Wrong old passwords count towards lockout as failed sign-ins; a
    locked account is refused (423) whatever the passwords."""
    refusal = await staff_signin.change_password(
        rt.uow, username=body.username, old=body.old_password, new=body.new_password, ip=ip, now=now
    )
    return None if refusal is None else error_response(refusal)


@router.post("/auth/staff/logout", status_code=204, operation_id="staff_log_out")
async def log_out(request: Request, who: PrincipalDep, uow: PublicUoW, now: Now) -> None:
    """Sign out: this bearer token stops working at once."""
    _, token = get_authorization_scheme_param(request.headers.get("authorization"))
    await staff_signin.log_out(uow, token=token, now=now)


async def _staff_out(
    uow: UnitOfWork, crypto: FieldCrypto, user: StaffUser, now_locked: bool
) -> StaffOut:
    grants = await staff.grants_of(uow, user.id)
    phone = staff.phone_of(crypto, user)
    return StaffOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        phone=mask_phone(phone) if phone else None,
        locked=now_locked,
        grants=[GrantIn(role=g.role, scope=g.scope, scope_id=g.scope_id) for g in grants],
    )


@router.post("/admin/staff", status_code=201)
async def create_staff(
    body: StaffIn, uow: Manager, who: PrincipalDep, rt: RuntimeDep, now: Now
) -> StaffOut:
    """Nobody grants permissions they do not hold (403 ``beyond_your_grants``)."""
    check_may_grant(who, [g.to_grant() for g in body.grants])
    user = await staff.create_staff(
        uow,
        rt.crypto,
        staff.NewStaff(
            username=body.username,
            password=body.password,
            display_name=body.display_name,
            phone=body.phone,
            grants=[g.to_grant() for g in body.grants],
        ),
        now=now,
    )
    return await _staff_out(uow, rt.crypto, user, False)


@router.get("/admin/staff")
async def list_staff(uow: ManagerReader, rt: RuntimeDep, now: Now) -> list[StaffOut]:
    users = (await uow.session.scalars(select(StaffUser).order_by(StaffUser.username))).all()
    return [
        await _staff_out(uow, rt.crypto, u, u.locked_by_operator or is_locked(u.locked_until, now))
        for u in users
    ]


@router.put("/admin/staff/{staff_id}/grants", status_code=204)
async def set_grants(
    staff_id: int, body: GrantsIn, uow: Manager, who: PrincipalDep, now: Now
) -> None:
    """Within the hierarchy: 403 ``outranks_you``, ``beyond_your_grants``, ``not_on_yourself``
    (taking permissions from oneself); 409 ``last_administrator``."""
    await staff.set_grants(
        uow, actor=who, staff_id=staff_id, grants=[g.to_grant() for g in body.grants], now=now
    )


@router.post("/admin/staff/import")
async def import_staff(
    request: Request,
    uow: Manager,
    who: PrincipalDep,
    rt: RuntimeDep,
    now: Now,
    dry_run: Annotated[bool, Query()] = False,
) -> ImportOut:
    """CSV ``username,display_name,phone,roles``: all rows or none; initial passwords by SMS.
    A row granting permissions the importer does not hold is an error row."""
    data = await request.body()
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput("the file is larger than 2 MiB")
    reports, created = await staff_import.import_staff(
        uow, rt.crypto, actor=who, data=data, now=now, dry_run=dry_run
    )
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
async def lock(staff_id: int, uow: Operator, who: PrincipalDep, now: Now) -> None:
    """Lock an account and revoke its tokens. 403 ``outranks_you`` for an account holding
    permissions you lack, ``not_on_yourself``; 409 ``last_administrator``."""
    await staff.set_locked(uow, actor=who, staff_id=staff_id, locked=True, now=now)


@router.post("/admin/staff/{staff_id}/unlock", status_code=204)
async def unlock(staff_id: int, uow: Operator, who: PrincipalDep, now: Now) -> None:
    """403 ``outranks_you`` for an account holding permissions you lack."""
    await staff.set_locked(uow, actor=who, staff_id=staff_id, locked=False, now=now)


@router.post(
    "/admin/staff/{staff_id}/reset-password", status_code=202, operation_id="staff_reset_password"
)
async def reset_password(
    staff_id: int, uow: Operator, who: PrincipalDep, rt: RuntimeDep, now: Now
) -> dict[str, str]:
    """A new password goes to the staff member's phone by SMS; it must be changed at login.
    Every token of the account stops working. 403 ``outranks_you`` as for locking."""
    password, phone = await staff.reset_password(
        uow, rt.crypto, actor=who, staff_id=staff_id, now=now
    )
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


@router.get("/admin/security-policy", operation_id="get_password_policy")
async def get_policy(uow: PolicyReader) -> PolicyOut:
    return PolicyOut.model_validate(asdict(await security.get_policy(uow)))


@router.put("/admin/security-policy")
async def update_policy(body: PolicyIn, uow: PolicyWriter, now: Now) -> PolicyOut:
    changes = body.model_dump(exclude_none=True)
    return PolicyOut.model_validate(
        asdict(await security.update_policy(uow, changes=changes, now=now))
    )
