"""SMS carrier adapter: the gateway interface and its signed HTTP client."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeGuard, get_args
from urllib.parse import quote

import httpx

from admit.core.clock import Clock, SystemClock
from admit.core.errors import AdmitError
from admit.core.outbound import outside_client
from admit.core.signing import sign_params, signature_valid
from admit.messaging.sms_rules import DeliveryState


class SmsThrottled(AdmitError):
    code = "sms_throttled"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


class SmsRejected(AdmitError):
    """The carrier will never accept this send as it stands: number, template or parameters."""

    code = "sms_rejected"
    status = 400


class SmsUnavailable(AdmitError):
    """The carrier could not be used: timeout, outage, refused credentials, or an answer that is
    malformed or badly signed. Worth retrying later."""

    code = "sms_unavailable"
    status = 503


@dataclass(frozen=True)
class SmsAccepted:
    request_id: str


@dataclass(frozen=True)
class DeliveryStatus:
    request_id: str
    state: DeliveryState
    error_code: str | None


class SmsGateway(Protocol):
    async def send(
        self,
        *,
        phone: str,
        template: str,
        params: dict[str, str],
        sign_name: str,
        idempotency_key: str | None = None,
    ) -> SmsAccepted:
        """``idempotency_key``: the same key again (a retry after a crash or a timeout) is
        answered with the first send's request id and sends nothing more."""
        ...

    async def status(self, request_id: str) -> DeliveryStatus: ...


class HttpSmsGateway:
    """The carrier's HTTP API. Requests carry ``access_key``, ``nonce``, ``timestamp`` and
    ``sign``; answers are signed over their fields plus the request's nonce, so a stale or
    forged answer is refused. ``status`` signs the request id taken from the path. A send's
    ``idempotency_key``, when given, is one more signed field of its body."""

    def __init__(
        self,
        base_url: str,
        access_key: str,
        secret: str,
        *,
        timeout: float = 5.0,
        client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._access_key = access_key
        self._secret = secret
        self._timeout = timeout
        self._owns_client = client is None
        self._client = client if client is not None else outside_client()
        self._clock = clock or SystemClock()

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def send(
        self,
        *,
        phone: str,
        template: str,
        params: dict[str, str],
        sign_name: str,
        idempotency_key: str | None = None,
    ) -> SmsAccepted:
        """Raises :class:`SmsRejected`, :class:`SmsThrottled` or :class:`SmsUnavailable`."""
        fields: dict[str, object] = {
            "phone": phone,
            "template": template,
            "params": params,
            "sign_name": sign_name,
        }
        if idempotency_key is not None:
            fields["idempotency_key"] = idempotency_key
        body = self._signed(fields)
        answer = await self._call("POST", "/v1/sms/send", json=body)
        request_id = answer.get("request_id")
        if not isinstance(request_id, str):
            raise _malformed("no request id in the answer")
        self._verify(answer, {"request_id": request_id}, body["nonce"])
        return SmsAccepted(request_id=request_id)

    async def status(self, request_id: str) -> DeliveryStatus:
        """Raises :class:`SmsRejected` for an unknown request id, else :class:`SmsUnavailable`."""
        query = self._signed({"request_id": request_id})
        del query["request_id"]
        answer = await self._call("GET", f"/v1/sms/{quote(request_id, safe='')}", params=query)
        state, error_code = answer.get("state"), answer.get("error_code")
        if not _is_state(state) or not isinstance(error_code, str | None):
            raise _malformed("no delivery state in the answer")
        fields = {"request_id": request_id, "state": state, "error_code": error_code}
        self._verify(answer, fields, query["nonce"])
        return DeliveryStatus(request_id=request_id, state=state, error_code=error_code)

    def _signed(self, fields: dict[str, object]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_key": self._access_key,
            "nonce": secrets.token_hex(16),
            "timestamp": int(self._clock.now().timestamp()),
            **fields,
        }
        body["sign"] = sign_params(body, self._secret)
        return body

    def _verify(
        self, answer: Mapping[str, object], fields: Mapping[str, object], nonce: str
    ) -> None:
        if not signature_valid(
            {**fields, "nonce": nonce, "sign": answer.get("sign")}, self._secret
        ):
            raise SmsUnavailable(
                "the carrier's answer is not validly signed", details={"reason": "bad_signature"}
            )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            response = await self._client.request(
                method, self._base_url + path, json=json, params=params, timeout=self._timeout
            )
        except httpx.TimeoutException as exc:
            raise SmsUnavailable("the carrier timed out", details={"reason": "timeout"}) from exc
        except httpx.HTTPError as exc:
            raise SmsUnavailable(
                "the carrier is unreachable", details={"reason": "transport", "error": str(exc)}
            ) from exc
        payload = _json_object(response)
        if response.status_code != 200:
            raise _http_error(response, payload)
        if payload is None:
            raise _malformed("the answer is not a JSON object")
        return payload


def _is_state(value: object) -> TypeGuard[DeliveryState]:
    return value in get_args(DeliveryState)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        payload = response.json()
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _malformed(message: str) -> SmsUnavailable:
    return SmsUnavailable(message, details={"reason": "malformed_answer"})


def _http_error(response: httpx.Response, payload: dict[str, Any] | None) -> AdmitError:
    error = payload.get("error") if payload else None
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code") or f"http_{response.status_code}")
    message = str(error.get("message") or f"the carrier answered {response.status_code}")
    details = error.get("details")
    details = details if isinstance(details, dict) else {}
    if response.status_code == 429:
        return SmsThrottled(message, retry_after=_retry_after(details, response))
    if response.status_code == 400 or code in ("unknown_request", "idempotency_key_reused"):
        return SmsRejected(message, details={"reason": code, **details})
    # Refused credentials or a replayed nonce are our configuration's fault, not the message's:
    # the send stays retryable once the setup is fixed.
    return SmsUnavailable(
        message, details={"reason": code, "status": response.status_code, **details}
    )


def _retry_after(details: Mapping[str, Any], response: httpx.Response) -> int:
    value = details.get("retry_after", response.headers.get("Retry-After"))
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 60
