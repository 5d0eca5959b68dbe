"""Simulator of an OpenID Connect identity provider: discovery, an authorize page where the
tester signs in as anyone, the token endpoint (authorization code with PKCE S256, client
secrets), userinfo and the signing keys (RS256, generated per start).

It refuses what a real provider refuses: an unregistered ``redirect_uri`` (an error page, never a
redirect), a wrong client secret, a code used twice or after ``code_ttl_s``, a code verifier that
does not match the challenge. Faults for tests (``POST /_control``): ID tokens under another
issuer, for another audience, carrying another nonce or signed by another key; e-mails not
verified."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from pydantic import BaseModel

from admit.core.clock import Clock, SystemClock
from admit.sims.idp_pages import authorize_page, error_page

DISCOVERY_PATH = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class IdpClient:
    secret: str
    redirect_uris: tuple[str, ...]


@dataclass
class IdpSimConfig:
    """``issuer`` is the URL the simulator is reached at (its endpoints hang below it)."""

    issuer: str
    clients: dict[str, IdpClient]
    code_ttl_s: int = 60
    token_ttl_s: int = 600


@dataclass(frozen=True)
class SimUser:
    sub: str
    username: str
    email: str
    name: str


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    user: SimUser
    expires_at: datetime


@dataclass
class _State:
    clock: Clock
    key: RSAKey
    codes: dict[str, _Grant] = field(default_factory=dict)
    access_tokens: dict[str, tuple[SimUser, datetime]] = field(default_factory=dict)
    token_issuer: str | None = None
    wrong_nonce: bool = False
    email_verified: bool = True
    token_audience: str | None = None
    forged_signature: bool = False
    tokens_issued: int = 0


class Control(BaseModel):
    token_issuer: str | None = None
    wrong_nonce: bool | None = None
    email_verified: bool | None = None
    token_audience: str | None = None
    forged_signature: bool | None = None


def subject_of(issuer: str, username: str) -> str:
    """The stable, opaque ``sub`` of a user name at this provider."""
    digest = hashlib.sha256(f"{issuer}\n{username.strip().lower()}".encode()).hexdigest()
    return digest[:24]


def s256(verifier: str) -> str:
    raw = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def _back(redirect_uri: str, **params: str | None) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    joiner = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{joiner}{query}", status_code=303)


class AuthorizeRequest(BaseModel):
    response_type: str = ""
    client_id: str = ""
    redirect_uri: str = ""
    scope: str = ""
    state: str | None = None
    nonce: str | None = None
    code_challenge: str = ""
    code_challenge_method: str = ""


class SignInForm(AuthorizeRequest):
    username: str = ""
    email: str = ""
    action: str = "sign_in"


def _client_refusal(config: IdpSimConfig, ask: AuthorizeRequest) -> str | None:
    """Why the request cannot even be answered by a redirect (the redirect_uri is not trusted)."""
    client = config.clients.get(ask.client_id)
    if client is None:
        return "This application is not registered here."
    if ask.redirect_uri not in client.redirect_uris:
        return "The redirect_uri is not one registered for this application."
    return None


def _request_refusal(ask: AuthorizeRequest) -> str | None:
    """What is wrong with a request from a trusted client (answered by a redirect)."""
    if ask.response_type != "code":
        return "unsupported_response_type"
    if "openid" not in ask.scope.split():
        return "invalid_scope"
    if ask.code_challenge_method != "S256" or not ask.code_challenge:
        return "invalid_request"
    return None


def _request_fields(ask: AuthorizeRequest) -> dict[str, str]:
    """The authorization request's parameters, carried through the sign-in form."""
    fields = AuthorizeRequest.model_fields
    return {k: v for k, v in ask.model_dump(include=set(fields)).items() if v is not None}


def _client_credentials(request: Request, client_id: str, client_secret: str) -> tuple[str, str]:
    """(client id, secret) from HTTP Basic (client_secret_basic) or the form
    (client_secret_post)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except ValueError:
            return "", ""
        given_id, _, given_secret = decoded.partition(":")
        return given_id, given_secret
    return client_id, client_secret


def _id_token(config: IdpSimConfig, state: _State, grant: _Grant, now: datetime) -> str:
    at = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": state.token_issuer or config.issuer,
        "sub": grant.user.sub,
        "aud": state.token_audience or grant.client_id,
        "iat": at,
        "auth_time": at,
        "exp": at + config.token_ttl_s,
        "email": grant.user.email,
        "email_verified": state.email_verified,
        "name": grant.user.name,
    }
    if grant.nonce is not None:
        claims["nonce"] = "not-" + grant.nonce if state.wrong_nonce else grant.nonce
    header = {"alg": "RS256", "kid": state.key.kid}
    # A forged token: signed by a key of the attacker's under the provider's key id.
    key = RSAKey.generate_key(2048) if state.forged_signature else state.key
    return jwt.encode(header, claims, key, algorithms=["RS256"])


def _discovery(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code"],
        "claims_supported": ["sub", "email", "email_verified", "name"],
    }


def _unanswerable(config: IdpSimConfig, ask: AuthorizeRequest) -> Response | None:
    """The error page or the error redirect for a request that cannot be signed in to."""
    refused = _client_refusal(config, ask)
    if refused is not None:
        return HTMLResponse(error_page(refused), status_code=400)
    problem = _request_refusal(ask)
    if problem is not None:
        return _back(ask.redirect_uri, error=problem, state=ask.state)
    return None


def _signed_in(config: IdpSimConfig, state: _State, ask: SignInForm) -> Response:
    """A user signed in at the form (or cancelled): a code for the client (or
    ``access_denied``), back at its redirect_uri."""
    if ask.action != "sign_in":
        return _back(ask.redirect_uri, error="access_denied", state=ask.state)
    name = ask.username.strip()[:80]
    if not name:
        page = authorize_page(_request_fields(ask), problem="Enter a user name.")
        return HTMLResponse(page, status_code=400)
    user = SimUser(
        sub=subject_of(config.issuer, name),
        username=name,
        email=ask.email.strip()[:254] or f"{name.lower().replace(' ', '.')}@id.example",
        name=name,
    )
    now = state.clock.now()
    for old in [c for c, g in state.codes.items() if g.expires_at <= now]:
        del state.codes[old]
    code = secrets.token_urlsafe(24)
    state.codes[code] = _Grant(
        client_id=ask.client_id,
        redirect_uri=ask.redirect_uri,
        code_challenge=ask.code_challenge,
        nonce=ask.nonce,
        user=user,
        expires_at=now + timedelta(seconds=config.code_ttl_s),
    )
    return _back(ask.redirect_uri, code=code, state=ask.state)


class TokenForm(BaseModel):
    grant_type: str = ""
    code: str = ""
    redirect_uri: str = ""
    code_verifier: str = ""
    client_id: str = ""
    client_secret: str = ""


def _grant_refusal(
    grant: _Grant | None, form: TokenForm, client_id: str, now: datetime
) -> str | None:
    if grant is None or grant.expires_at <= now or grant.client_id != client_id:
        return "unknown, used or expired code"
    if form.redirect_uri != grant.redirect_uri:
        return "redirect_uri differs from the request's"
    if not form.code_verifier or not hmac.compare_digest(
        s256(form.code_verifier), grant.code_challenge
    ):
        return "the code verifier does not match"
    return None


def _tokens(config: IdpSimConfig, state: _State, request: Request, form: TokenForm) -> JSONResponse:
    """The token endpoint: client authentication, then the code (spent whatever follows)."""
    given_id, given_secret = _client_credentials(request, form.client_id, form.client_secret)
    client = config.clients.get(given_id)
    if client is None or not hmac.compare_digest(client.secret, given_secret):
        return _oauth_error(401, "invalid_client", "unknown client or wrong secret")
    if form.grant_type != "authorization_code":
        return _oauth_error(400, "unsupported_grant_type", "only authorization_code")
    grant = state.codes.pop(form.code, None)
    now = state.clock.now()
    refused = _grant_refusal(grant, form, given_id, now)
    if refused is not None or grant is None:
        return _oauth_error(400, "invalid_grant", refused or "no code")
    access = secrets.token_urlsafe(24)
    state.access_tokens[access] = (grant.user, now + timedelta(seconds=config.token_ttl_s))
    state.tokens_issued += 1
    body = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": config.token_ttl_s,
        "scope": "openid email profile",
        "id_token": _id_token(config, state, grant, now),
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _userinfo(state: _State, request: Request) -> JSONResponse:
    header = request.headers.get("authorization", "")
    held = state.access_tokens.get(header[7:]) if header.lower().startswith("bearer ") else None
    if held is None or held[1] <= state.clock.now():
        return JSONResponse(
            {"error": "invalid_token"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    user = held[0]
    return JSONResponse(
        {
            "sub": user.sub,
            "email": user.email,
            "email_verified": state.email_verified,
            "name": user.name,
        }
    )


def _control(state: _State, change: Control) -> dict[str, Any]:
    for name in ("token_issuer", "token_audience"):  # null: back to the real one
        if name in change.model_fields_set:
            setattr(state, name, getattr(change, name))
    for name in ("wrong_nonce", "email_verified", "forged_signature"):
        value = getattr(change, name)
        if value is not None:
            setattr(state, name, value)
    return {name: getattr(state, name) for name in Control.model_fields}


def create_idp_app(config: IdpSimConfig, clock: Clock | None = None) -> FastAPI:
    """The simulator as an ASGI app; its keys, codes and tokens live with the app."""
    key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)
    state = _State(clock=clock or SystemClock(), key=key)
    app = FastAPI(title="OpenID Connect provider (simulator)")

    @app.get(DISCOVERY_PATH)
    async def discovery() -> dict[str, Any]:
        return _discovery(config.issuer)

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return dict(KeySet([state.key]).as_dict(private=False))

    @app.get("/authorize", response_class=HTMLResponse)
    async def authorize(ask: Annotated[AuthorizeRequest, Query()]) -> Response:
        refused = _unanswerable(config, ask)
        return refused or HTMLResponse(authorize_page(_request_fields(ask)))

    @app.post("/authorize", response_model=None)
    async def sign_in(ask: Annotated[SignInForm, Form()]) -> Response:
        refused = _unanswerable(config, ask)
        if refused is not None:
            return refused
        return _signed_in(config, state, ask)

    @app.post("/token", response_model=None)
    async def token(request: Request, form: Annotated[TokenForm, Form()]) -> JSONResponse:
        return _tokens(config, state, request, form)

    @app.get("/userinfo", response_model=None)
    async def userinfo(request: Request) -> JSONResponse:
        return _userinfo(state, request)

    @app.post("/_control")
    async def control(change: Control) -> dict[str, Any]:
        return _control(state, change)

    @app.get("/_stats")
    async def stats() -> dict[str, int]:
        return {"tokens_issued": state.tokens_issued, "codes_pending": len(state.codes)}

    return app
