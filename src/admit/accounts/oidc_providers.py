"""OpenID Connect providers customers sign in with (G2): the authorization request (state,
nonce, PKCE S256), and the code exchanged for a checked identity.

Authlib builds the request and checks the ID token's claims (``iss``, ``aud``, ``exp``, ``iat``,
``nonce``, ``azp``, ``at_hash``); joserfc (Authlib's JOSE library) checks its RS256 signature
against the provider's published keys. The HTTP calls go through httpx like every other outside
system's (a test gives the simulator's ASGI transport); Authlib's own httpx client is not used,
as it warns that it wants ``httpx2``. The provider's discovery document must name the issuer
the settings expect, and every ID token must carry it."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ClaimError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from admit.core.config import OidcProviderSettings
from admit.core.errors import AdmitError, NotFound

DISCOVERY = "/.well-known/openid-configuration"
PENDING_LIFETIME = timedelta(minutes=10)
CLOCK_LEEWAY_S = 60
ALGORITHMS = ["RS256"]


class UnknownProvider(NotFound):
    code = "unknown_provider"


class SignInStateMismatch(AdmitError):
    """The answer does not belong to a sign-in this browser started (forged, replayed or late)."""

    code = "sign_in_state_mismatch"
    status = 400


class ProviderRefused(AdmitError):
    """The provider said no: the user cancelled, or it refused our code or credentials."""

    code = "provider_refused"
    status = 400


class WrongIssuer(AdmitError):
    """The provider's discovery document or ID token names another issuer than configured."""

    code = "provider_wrong_issuer"
    status = 400


class InvalidIdToken(AdmitError):
    """The ID token's signature, audience, expiry or nonce does not hold."""

    code = "provider_token_invalid"
    status = 400


class ProviderUnavailable(AdmitError):
    code = "provider_unavailable"
    status = 503


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """What the callback needs to finish a sign-in this browser started (kept by the site in
    an encrypted cookie): never shown to the provider except the state and the challenge."""

    provider: str
    state: str
    nonce: str
    verifier: str
    started_at: datetime
    next: str = ""
    customer_id: int | None = None  # signed in when it started: the identity is to be linked


@dataclass(frozen=True, slots=True)
class ProviderIdentity:
    provider: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None


def check_state(
    pending: PendingSignIn | None, *, provider: str, state: str, now: datetime
) -> PendingSignIn:
    """The pending sign-in the callback's ``state`` answers. Raises ``SignInStateMismatch``
    when there is none, it is another provider's, the state differs, or it is too old."""
    if pending is None or pending.provider != provider:
        raise SignInStateMismatch("no sign-in with this provider was started in this browser")
    if not state or not hmac.compare_digest(pending.state.encode(), state.encode()):
        raise SignInStateMismatch("the answer's state is not the one this sign-in sent")
    if now - pending.started_at > PENDING_LIFETIME:
        raise SignInStateMismatch("the sign-in took too long: start again")
    return pending


class OidcProvider:
    """One configured provider; its discovery document and keys are kept once fetched."""

    def __init__(
        self,
        settings: OidcProviderSettings,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._timeout = timeout
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def label(self) -> str:
        return self.settings.label

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self._transport, timeout=self._timeout)

    async def _get_json(self, url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            async with self._client() as client:
                answer = await client.get(url, headers=headers)
            answer.raise_for_status()
            found = answer.json()
        except (httpx.HTTPError, ValueError) as failed:
            raise ProviderUnavailable(f"{self.label} did not answer: {failed}") from failed
        if not isinstance(found, dict):
            raise ProviderUnavailable(f"{self.label} answered something else than an object")
        return found

    async def metadata(self) -> dict[str, Any]:
        """The discovery document. Raises ``WrongIssuer`` when it names another issuer."""
        if self._metadata is None:
            url = self.settings.discovery_url or self.settings.issuer.rstrip("/") + DISCOVERY
            found = await self._get_json(url)
            if found.get("issuer") != self.settings.issuer:
                raise WrongIssuer(
                    f"{self.label} names itself {found.get('issuer')!r}, "
                    f"not {self.settings.issuer!r}"
                )
            self._metadata = found
        return self._metadata

    async def _key_set(self, *, fresh: bool = False) -> KeySet:
        if self._keys is None or fresh:
            jwks = await self._get_json(str((await self.metadata())["jwks_uri"]))
            try:
                self._keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
            except (JoseError, ValueError, KeyError, TypeError) as bad:
                raise ProviderUnavailable(f"{self.label}'s keys are unreadable") from bad
        return self._keys

    async def start(
        self,
        *,
        redirect_uri: str,
        now: datetime,
        next: str = "",
        customer_id: int | None = None,  # noqa: A002
    ) -> tuple[str, PendingSignIn]:
        """The provider's authorization URL to send the browser to, and what to keep."""
        metadata = await self.metadata()
        pending = PendingSignIn(
            provider=self.name,
            state=generate_token(32),
            nonce=generate_token(32),
            verifier=generate_token(64),
            started_at=now,
            next=next,
            customer_id=customer_id,
        )
        url = prepare_grant_uri(
            metadata["authorization_endpoint"],
            client_id=self.settings.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=self.settings.scope,
            state=pending.state,
            nonce=pending.nonce,
            code_challenge=create_s256_code_challenge(pending.verifier),
            code_challenge_method="S256",
        )
        return str(url), pending

    async def identify(
        self, *, code: str, pending: PendingSignIn, redirect_uri: str, now: datetime
    ) -> ProviderIdentity:
        """Exchange the code, check the ID token, read the user's claims. Raises
        ``ProviderRefused``, ``WrongIssuer``, ``InvalidIdToken``, ``ProviderUnavailable``."""
        metadata = await self.metadata()
        tokens = await self._exchange(str(metadata["token_endpoint"]), code, pending, redirect_uri)
        claims = await self._checked_claims(tokens, pending, now)
        info: dict[str, Any] = dict(claims)
        if metadata.get("userinfo_endpoint"):
            bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
            userinfo = await self._get_json(str(metadata["userinfo_endpoint"]), headers=bearer)
            if userinfo.get("sub") != claims["sub"]:
                raise InvalidIdToken("userinfo describes another user than the ID token")
            info.update(userinfo)
        email = info.get("email")
        name = info.get("name")
        return ProviderIdentity(
            provider=self.name,
            subject=str(claims["sub"]),
            email=email.strip().lower() if isinstance(email, str) and email.strip() else None,
            email_verified=info.get("email_verified") is True,
            name=name.strip()[:120] if isinstance(name, str) and name.strip() else None,
        )

    async def _exchange(
        self, endpoint: str, code: str, pending: PendingSignIn, redirect_uri: str
    ) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pending.verifier,
        }
        auth = httpx.BasicAuth(self.settings.client_id, self.settings.client_secret)
        try:
            async with self._client() as client:
                answer = await client.post(endpoint, data=form, auth=auth)
            body = answer.json()
        except (httpx.HTTPError, ValueError) as failed:
            raise ProviderUnavailable(f"{self.label} did not answer: {failed}") from failed
        if not isinstance(body, dict):
            raise ProviderUnavailable(f"{self.label} answered something else than an object")
        if answer.status_code != 200 or "error" in body:
            error = str(body.get("error", answer.status_code))
            raise ProviderRefused(
                f"{self.label} refused the code: {error}", details={"error": error}
            )
        if not isinstance(body.get("id_token"), str) or not isinstance(
            body.get("access_token"), str
        ):
            raise InvalidIdToken(f"{self.label} sent no ID token")
        return body

    async def _checked_claims(
        self, tokens: dict[str, Any], pending: PendingSignIn, now: datetime
    ) -> CodeIDToken:
        keys = await self._key_set()
        try:
            try:
                token = jwt.decode(tokens["id_token"], keys, algorithms=ALGORITHMS)
            except InvalidKeyIdError:  # the provider rotated its keys since we read them
                token = jwt.decode(
                    tokens["id_token"], await self._key_set(fresh=True), algorithms=ALGORITHMS
                )
            claims = CodeIDToken(
                token.claims,
                token.header,
                {
                    "iss": {"essential": True, "value": self.settings.issuer},
                    "aud": {"essential": True, "value": self.settings.client_id},
                },
                {
                    "nonce": pending.nonce,
                    "client_id": self.settings.client_id,
                    "access_token": tokens["access_token"],
                },
            )
            claims.validate(now=int(now.timestamp()), leeway=CLOCK_LEEWAY_S)
        except ClaimError as bad:
            if bad.claim == "iss":
                raise WrongIssuer(f"the ID token was not issued by {self.label}") from bad
            raise InvalidIdToken(f"the ID token's {bad.claim} does not hold") from bad
        except (JoseError, ValueError) as bad:
            raise InvalidIdToken(f"the ID token is not valid: {bad}") from bad
        return claims


class OidcProviders:
    """The providers customers may sign in with, by name (an adapter: ``admit.wiring``)."""

    def __init__(self, providers: Sequence[OidcProvider]) -> None:
        self._by_name = {p.name: p for p in providers}

    def get(self, name: str) -> OidcProvider:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownProvider(f"no sign-in provider {name!r}") from None

    def all(self) -> list[OidcProvider]:
        return list(self._by_name.values())

    def label_of(self, name: str) -> str:
        found = self._by_name.get(name)
        return found.label if found else name
