"""The public-security two-factor check (name + ID number): the adapter and its HTTP client."""

from __future__ import annotations

import enum
import secrets
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self

import httpx

from admit.core.errors import AdmitError
from admit.core.outbound import outside_client
from admit.core.signing import sign_params, signature_valid

VERIFY_PATH = "/v1/identity/verify"


class VerificationOutcome(enum.StrEnum):
    CONSISTENT = "consistent"
    INCONSISTENT = "inconsistent"
    NO_SUCH_NUMBER = "no_such_number"


_OUTCOMES = {o.value: o for o in VerificationOutcome}


@dataclass(frozen=True)
class VerificationResult:
    outcome: VerificationOutcome
    request_id: str
    billed: bool


class VerifierUnavailable(AdmitError):
    """No answer to rely on: timeout, outage, or an answer that is malformed or badly signed."""

    code = "verifier_unavailable"
    status = 503


class VerifierRefused(VerifierUnavailable):
    """The service refused our request (credentials, clock skew, replay): our side needs fixing."""

    code = "verifier_refused"


class IdentityVerifier(Protocol):
    async def verify(self, *, name: str, id_number: str) -> VerificationResult: ...


class HttpIdentityVerifier:
    """Client of the public-security service.

    Raises :class:`VerifierUnavailable` for timeouts, connection failures, 5xx answers and answers
    that are malformed, badly signed or not about this request (their nonce differs), and its
    subclass :class:`VerifierRefused` when the service answers 4xx (wrong app id or secret, clock
    skew, replay)."""

    def __init__(
        self,
        base_url: str,
        app_id: str,
        secret: str,
        *,
        timeout: float = 5.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._url = base_url.rstrip("/") + VERIFY_PATH
        self._app_id = app_id
        self._secret = secret
        self._timeout = timeout
        self._owns_client = client is None
        self._client = client or outside_client()

    async def verify(self, *, name: str, id_number: str) -> VerificationResult:
        params: dict[str, object] = {
            "app_id": self._app_id,
            "name": name,
            "id_number": id_number,
            "nonce": secrets.token_hex(16),
            "timestamp": int(time.time()),
        }
        params["sign"] = sign_params(params, self._secret)
        response = await self._post(params)
        return self._read(response, params["nonce"])

    async def _post(self, params: dict[str, object]) -> httpx.Response:
        try:
            response = await self._client.post(self._url, json=params, timeout=self._timeout)
        except httpx.TimeoutException:
            raise VerifierUnavailable("identity verification timed out") from None
        except httpx.HTTPError as exc:
            raise VerifierUnavailable(f"identity verification unreachable: {exc}") from None
        if response.status_code >= 500:
            raise VerifierUnavailable(
                "identity verification is failing", details={"status": response.status_code}
            )
        if response.status_code >= 400:
            raise VerifierRefused(
                "identity verification refused the request",
                details={"status": response.status_code, "answer": _error_code(response)},
            )
        return response

    def _read(self, response: httpx.Response, nonce: object) -> VerificationResult:
        try:
            body: Any = response.json()
        except ValueError:
            raise VerifierUnavailable("identity verification answered something not JSON") from None
        if not isinstance(body, dict) or not signature_valid(body, self._secret):
            raise VerifierUnavailable("identity verification answer is not validly signed")
        if body.get("nonce") != nonce:
            raise VerifierUnavailable("identity verification answered another request")
        request_id, result, billed = body.get("request_id"), body.get("result"), body.get("billed")
        outcome = _OUTCOMES.get(result) if isinstance(result, str) else None
        if outcome is None or not isinstance(request_id, str) or not isinstance(billed, bool):
            raise VerifierUnavailable("identity verification answer is malformed")
        return VerificationResult(outcome=outcome, request_id=request_id, billed=billed)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _error_code(response: httpx.Response) -> str | None:
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, str) else None
