"""Customer sign-up and sign-in, the account page, the customer's identity and linked holders
(U1, G2, C7, RN1–RN4, FE3)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from fastapi.security.utils import get_authorization_scheme_param

from admit.accounts import codes, customer_sign_in, customers, holder_edits, identities
from admit.accounts.customer_phones import phone_of
from admit.accounts.customer_schemas import (
    CodeLoginIn,
    CodeRequestIn,
    CustomerTokenOut,
    DocumentBody,
    HolderEditBody,
    HolderOut,
    MeOut,
    PasswordLoginIn,
    PasswordResetIn,
    RegisterIn,
)
from admit.accounts.documents import mask_phone
from admit.accounts.identity_models import CustomerHolder, Identity
from admit.accounts.models import Customer
from admit.accounts.signup_limits_api import limit_code_request, limit_registration
from admit.accounts.tokens import Attempt
from admit.accounts.verification import edit_and_verify, file_and_verify
from admit.core.audit_context import Actor
from admit.core.crypto import FieldCrypto
from admit.core.lookups import get_or_404
from admit.core.uow import UnitOfWork
from admit.http.contract import SIGN_IN
from admit.http.deps import (
    ClientIP,
    CustomerId,
    CustomerReader,
    Now,
    PublicUoW,
    RuntimeDep,
)
from admit.http.errors import error_response
from admit.http.throttle import DeviceHeader

router = APIRouter(tags=["customers"])


def _token_or_refusal(attempt: Attempt) -> CustomerTokenOut | JSONResponse:
    if attempt.token is None:
        return error_response(attempt.refusal)
    return CustomerTokenOut(token=attempt.token.token, expires_at=attempt.token.expires_at)


@router.post("/auth/codes", status_code=202, responses=SIGN_IN)
async def request_code(
    body: CodeRequestIn,
    uow: PublicUoW,
    rt: RuntimeDep,
    ip: ClientIP,
    now: Now,
    device: DeviceHeader = None,
) -> dict[str, str]:
    """Send a one-time code by SMS (mobile number) or email (address): a registration code
    only where there is no account, a sign-in or reset code only where there is one — the
    answer is the same either way. 429 ``too_many_attempts`` within a minute of the last code
    for the login; 429 ``rate_limited`` (``Retry-After``) past the limits per address, device
    (``X-Device-Id``) and login, or the platform's budget of codes."""
    await limit_code_request(rt, address=ip, device=device, login=body.login)
    await codes.request_code(uow, rt.crypto, login=body.login, purpose=body.purpose, now=now)
    return {"status": "sent"}


@router.post("/auth/register", status_code=201, response_model=CustomerTokenOut, responses=SIGN_IN)
async def register(
    body: RegisterIn,
    uow: PublicUoW,
    rt: RuntimeDep,
    ip: ClientIP,
    now: Now,
    device: DeviceHeader = None,
) -> CustomerTokenOut | JSONResponse:
    """Open an account with the registration code and sign it in. The same answer for a
    login with or without an account (400 ``wrong_code``: no registration code is ever sent
    to an account); 429 ``rate_limited`` past the attempts allowed per address and device,
    429 ``too_many_attempts`` while the address is locked out after failures."""
    await limit_registration(rt, address=ip, device=device)
    attempt = await customers.register(
        uow,
        rt.crypto,
        customers.Registration(
            login=body.login,
            code=body.code,
            password=body.password,
            source_channel=body.source_channel,
            device=body.device,
        ),
        now=now,
        ip=ip,
    )
    return _token_or_refusal(attempt)


@router.post("/auth/login", response_model=CustomerTokenOut, responses=SIGN_IN)
async def log_in(
    body: PasswordLoginIn, rt: RuntimeDep, ip: ClientIP, now: Now
) -> CustomerTokenOut | JSONResponse:
    """Sign in with the password: 401 alike for a wrong password and an unknown login, 423
    while the account is locked after wrong passwords (a code still signs in), 429 while the
    address is locked out."""
    attempt = await customer_sign_in.log_in_password(
        rt, login=body.login, password=body.password, ip=ip, device=body.device, now=now
    )
    return _token_or_refusal(attempt)


@router.post("/auth/login/code", response_model=CustomerTokenOut, responses=SIGN_IN)
async def log_in_code(
    body: CodeLoginIn, uow: PublicUoW, rt: RuntimeDep, ip: ClientIP, now: Now
) -> CustomerTokenOut | JSONResponse:
    """Sign in with a code (purpose ``login``); works on an account locked after wrong
    passwords, not on one an operator locked."""
    attempt = await customer_sign_in.log_in_code(
        uow, rt.crypto, login=body.login, code=body.code, ip=ip, device=body.device, now=now
    )
    return _token_or_refusal(attempt)


@router.post("/auth/password/reset", status_code=204, response_model=None, responses=SIGN_IN)
async def reset_password(
    body: PasswordResetIn, uow: PublicUoW, rt: RuntimeDep, ip: ClientIP, now: Now
) -> JSONResponse | None:
    """A new password with a code (purpose ``reset``); signs every device out and lifts a
    lock after wrong passwords."""
    refusal = await customer_sign_in.reset_password(
        uow,
        rt.crypto,
        login=body.login,
        code=body.code,
        new_password=body.new_password,
        ip=ip,
        now=now,
    )
    return error_response(refusal) if refusal is not None else None


@router.post("/auth/logout", status_code=204)
async def log_out(request: Request, cid: CustomerId, uow: PublicUoW, now: Now) -> None:
    """Sign this device out (the token stops working at once)."""
    _, token = get_authorization_scheme_param(request.headers.get("authorization"))
    await customers.log_out(uow, token=token, now=now)


def _holder_out(crypto: FieldCrypto, h: CustomerHolder, i: Identity) -> HolderOut:
    phone = crypto.decrypt(h.contact_phone_enc) if h.contact_phone_enc else None
    return HolderOut(
        holder_id=h.id,
        identity_id=i.id,
        is_self=h.is_self,
        name=crypto.decrypt(h.claimed_name_enc),
        doc_type=i.doc_type,
        number=i.number_masked,
        status=h.status(i),
        method=i.method,
        reason=h.reason(i),
        contact_phone=mask_phone(phone) if phone else None,
    )


async def _me(uow: UnitOfWork, rt: RuntimeDep, cid: int) -> MeOut:
    me = await get_or_404(uow, Customer, cid, "customer")
    rows = await identities.holders_of(uow, cid)
    holders = [_holder_out(rt.crypto, h, i) for h, i in rows]
    return MeOut(
        id=me.id,
        phone=phone_of(rt.crypto, me),
        email=me.email,
        source_channel=me.source_channel,
        verified=any(h.is_self and h.status == "verified" for h in holders),
        holders=holders,
    )


@router.get("/me")
async def me(uow: CustomerReader, rt: RuntimeDep, cid: CustomerId) -> MeOut:
    """The signed-in customer's account, own identity and linked holders (numbers masked)."""
    return await _me(uow, rt, cid)


async def _file(rt: RuntimeDep, cid: int, body: DocumentBody, *, is_self: bool) -> MeOut:
    actor = Actor(kind="customer", id=str(cid))
    await file_and_verify(
        rt,
        actor,
        customer_id=cid,
        document=body.to_document(),
        is_self=is_self,
        contact_phone=body.contact_phone,
    )
    async with rt.uow(actor, readonly=True) as uow:
        return await _me(uow, rt, cid)


@router.post("/me/identity", status_code=201)
async def file_own_identity(body: DocumentBody, rt: RuntimeDep, cid: CustomerId) -> MeOut:
    """The buyer's own real-name document (RN1): required before buying where names are."""
    return await _file(rt, cid, body, is_self=True)


@router.post("/me/holders", status_code=201)
async def add_holder(body: DocumentBody, rt: RuntimeDep, cid: CustomerId) -> MeOut:
    """A linked holder to buy tickets for (at most the policy's number, verified first)."""
    return await _file(rt, cid, body, is_self=False)


@router.patch("/me/holders/{identity_id}")
async def edit_holder(
    identity_id: int, body: HolderEditBody, rt: RuntimeDep, cid: CustomerId
) -> MeOut:
    """Change a holder's contact phone, or the document of a holder not yet verified (filed
    again in its place, then verified as a new filing). A verified holder's document is fixed:
    409 ``holder_verified`` (remove the holder and file the new document)."""
    actor = Actor(kind="customer", id=str(cid))
    change = holder_edits.HolderChange(
        document=body.document.to_document() if body.document else None,
        contact_phone=body.contact_phone,
        set_contact_phone="contact_phone" in body.model_fields_set,
    )
    await edit_and_verify(rt, actor, customer_id=cid, identity_id=identity_id, change=change)
    async with rt.uow(actor, readonly=True) as uow:
        return await _me(uow, rt, cid)
