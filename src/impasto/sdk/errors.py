"""Exceptions an app raises to answer with a chosen status, as fal's SDK defines them."""

from __future__ import annotations

from typing import Any


class AppException(Exception):
    """Answer ``status_code`` with ``{"detail": message}`` (fal's ``AppException``)."""

    def __init__(self, message: str, status_code: int = 500) -> None:
        super().__init__(message)
        if not 400 <= status_code <= 599:
            raise ValueError(f"status_code must be an error status, got {status_code}")
        self.message = message
        self.status_code = status_code

    def body(self) -> dict[str, Any]:
        return {"detail": self.message}


class FieldException(AppException):
    """Blame one input field: ``{"detail": [{"loc": ["body", field], "msg", "type"}]}``."""

    def __init__(
        self, field: str, message: str, status_code: int = 422, type: str = "value_error"
    ) -> None:
        super().__init__(message, status_code)
        self.field = field
        self.type = type

    def body(self) -> dict[str, Any]:
        return {"detail": [{"loc": ["body", self.field], "msg": self.message, "type": self.type}]}


class RequestCancelled(Exception):
    """Raised inside an endpoint once its request was cancelled; answers 499."""


class FetchError(Exception):
    """An input file could not be fetched (bad data URI, no resolver, resolver refused)."""
