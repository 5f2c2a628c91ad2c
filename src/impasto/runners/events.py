"""What the parent hands its callers for one request: events, then one ``Outcome``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from impasto.runners.spool import SpooledFile


@dataclass(frozen=True)
class LogEvent:
    request_id: str
    level: str
    message: str
    timestamp: str


@dataclass(frozen=True)
class ProgressEvent:
    request_id: str
    fraction: float
    message: str | None


@dataclass(frozen=True)
class PartialEvent:
    """One yielded output of a streaming endpoint; its files are already spooled."""

    request_id: str
    output: Any
    files: tuple[SpooledFile, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """The end of a request: the app's answer, or the runner's failure to give one.

    ``body`` is what the result endpoint returns with ``status_code``; ``error`` and
    ``error_type`` are what the status endpoint shows for a failed request. ``retryable``
    marks failures that are not the request's fault (the runner died, or the app answered
    503), which the queue may run again.
    """

    request_id: str
    status_code: int
    body: Any
    error: str | None = None
    error_type: str | None = None
    files: tuple[SpooledFile, ...] = ()
    retryable: bool = False
    runner_failed: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status_code < 400


def failure(
    request_id: str, status_code: int, error: str, error_type: str, *, retryable: bool
) -> Outcome:
    """A platform-side failure, with fal's flat error body."""
    return Outcome(
        request_id=request_id,
        status_code=status_code,
        body={"detail": error, "error_type": error_type},
        error=error,
        error_type=error_type,
        retryable=retryable,
        runner_failed=True,
        headers={"X-Fal-Error-Type": error_type},
    )


RunnerEvent = LogEvent | ProgressEvent | PartialEvent | Outcome
