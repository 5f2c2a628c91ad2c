"""The one error hierarchy. Services raise these; ``kit.http.errors`` renders them.

Each error carries its HTTP status, the Platform API ``error.type`` (fal's enum:
authorization_error, validation_error, not_found, rate_limited, server_error,
not_implemented) and the run surfaces' ``X-Fal-Error-Type`` category.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class AppError(Exception):
    status_code: ClassVar[int] = 500
    platform_type: ClassVar[str] = "server_error"
    run_type: ClassVar[str] = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        detail: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})
        # fal's validation list (loc/msg/type), rendered as ``detail`` on the run surfaces.
        self.detail = detail


class InvalidRequest(AppError):
    status_code = 400
    platform_type = "validation_error"
    run_type = "bad_request"


class RequestValidationFailed(InvalidRequest):
    """Input failed schema validation: 400 on ``/v1``, 422 with ``detail`` on run surfaces."""

    run_status_code: ClassVar[int] = 422


class Unauthenticated(AppError):
    status_code = 401
    platform_type = "authorization_error"
    run_type = "unauthorized"


class PermissionDenied(AppError):
    status_code = 403
    platform_type = "authorization_error"
    run_type = "forbidden"


class NotFound(AppError):
    status_code = 404
    platform_type = "not_found"
    run_type = "not_found"


class MethodNotAllowed(AppError):
    status_code = 405
    platform_type = "validation_error"
    run_type = "bad_request"


class Conflict(AppError):
    status_code = 409
    platform_type = "validation_error"
    run_type = "bad_request"


class PayloadTooLarge(AppError):
    status_code = 413
    platform_type = "validation_error"
    run_type = "bad_request"


class RateLimited(AppError):
    status_code = 429
    platform_type = "rate_limited"
    run_type = "rate_limited"


class InternalError(AppError):
    status_code = 500
    platform_type = "server_error"
    run_type = "internal_error"


class NotImplementedYet(AppError):
    status_code = 501
    platform_type = "not_implemented"
    run_type = "not_implemented"


class ServiceUnavailable(AppError):
    status_code = 503
    platform_type = "server_error"
    run_type = "internal_error"


class InsufficientStorage(AppError):
    """The server's disk is full (or below its reserve): 507, worth retrying later."""

    status_code = 507
    platform_type = "server_error"
    run_type = "insufficient_storage"


_BY_STATUS: dict[int, type[AppError]] = {
    cls.status_code: cls
    for cls in (
        InvalidRequest,
        Unauthenticated,
        PermissionDenied,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PayloadTooLarge,
        RateLimited,
        InternalError,
        NotImplementedYet,
        ServiceUnavailable,
        InsufficientStorage,
    )
}


def error_for_status(status_code: int, message: str) -> AppError:
    """Map a bare status (from the router or a framework) onto the hierarchy."""
    cls = _BY_STATUS.get(status_code)
    if cls is None:
        cls = InvalidRequest if 400 <= status_code < 500 else InternalError
    return cls(message)
