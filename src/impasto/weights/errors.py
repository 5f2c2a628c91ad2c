"""What can go wrong installing weights, as the platform's errors: 4xx for what the caller
asked, 502 for a Hub or transfer that failed, so the HTTP surface and the CLI say the same."""

from __future__ import annotations

from typing import ClassVar

from impasto.kit.errors import AppError, Conflict, InvalidRequest, NotFound


class ModelNotFound(NotFound):
    pass


class ModelInUse(Conflict):
    pass


class NotAPipeline(InvalidRequest):
    pass


class RepoNotFound(NotFound):
    """The Hub has no such repository or revision (or hides a private one)."""


class RepoGated(AppError):
    """The repository needs an accepted licence and a token (``HF_TOKEN``)."""

    status_code: ClassVar[int] = 403
    platform_type: ClassVar[str] = "authorization_error"
    run_type: ClassVar[str] = "forbidden"


class DownloadFailed(AppError):
    """The transfer broke, or what arrived is not what the Hub announced."""

    status_code: ClassVar[int] = 502
    platform_type: ClassVar[str] = "server_error"
    run_type: ClassVar[str] = "internal_error"
