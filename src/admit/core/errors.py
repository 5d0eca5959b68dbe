"""One error hierarchy with stable codes; the API maps it to JSON in one place."""

from __future__ import annotations

from typing import Any, ClassVar


class AdmitError(Exception):
    """Base of every expected failure: a stable snake_case code and an HTTP status."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(AdmitError):
    code = "invalid_input"
    status = 400


class NotFound(AdmitError):
    code = "not_found"
    status = 404


class Conflict(AdmitError):
    code = "conflict"
    status = 409


class AlreadyExists(Conflict):
    code = "already_exists"


class Unauthorized(AdmitError):
    code = "unauthorized"
    status = 401


class Forbidden(AdmitError):
    code = "forbidden"
    status = 403
