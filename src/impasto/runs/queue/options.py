"""fal's request headers and query parameters, parsed once into submit options (§2.2, §2.7)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from impasto.files.acl import parse_lifecycle
from impasto.kit.errors import InvalidRequest
from impasto.kit.http.flags import parse_flag

PRIORITIES = {"normal": 0, "low": 1}
MIN_START_TIMEOUT = 0.1
MAX_START_TIMEOUT = 7 * 24 * 3600.0
TRUE_WORDS = frozenset({"1", "true", "yes"})
FALSE_WORDS = frozenset({"0", "false", "no"})
# Headers the runner may read (§6), forwarded as they came.
FORWARDED_HEADERS = (
    "x-fal-object-lifecycle-preference",
    "x-app-fal-upload-policy",
    "x-app-fal-can-disable-filter",
)


@dataclass(frozen=True)
class SubmitOptions:
    priority: int = 0
    start_timeout: float | None = None
    no_retry: bool = False
    runner_hint: str | None = None
    store_io: bool = True
    webhook_url: str | None = None
    max_queue_length: int | None = None
    forwarded: dict[str, str] = field(default_factory=dict)


def parse_options(headers: Mapping[str, str], query: Mapping[str, str]) -> SubmitOptions:
    """``headers`` with lower-case names. Bad values answer 400 ``bad_request``."""
    priority_text = headers.get("x-fal-queue-priority", "normal").strip().lower()
    if priority_text not in PRIORITIES:
        raise InvalidRequest("X-Fal-Queue-Priority must be 'normal' or 'low'")
    lifecycle = headers.get("x-fal-object-lifecycle-preference")
    if lifecycle is not None:
        parse_lifecycle(lifecycle)  # read when outputs are stored: a bad one is a 400 now
    hint = headers.get("x-fal-runner-hint")
    if hint is not None and (len(hint) > 255 or not hint.isprintable()):
        raise InvalidRequest("X-Fal-Runner-Hint must be at most 255 printable characters")
    return SubmitOptions(
        priority=PRIORITIES[priority_text],
        start_timeout=_start_timeout(headers.get("x-fal-request-timeout")),
        no_retry=_flag(headers.get("x-fal-no-retry"), "X-Fal-No-Retry", default=False),
        runner_hint=hint or None,
        store_io=_flag(headers.get("x-fal-store-io"), "X-Fal-Store-IO", default=True),
        webhook_url=query.get("fal_webhook") or None,
        max_queue_length=_max_queue_length(query.get("fal_max_queue_length")),
        forwarded={name: headers[name] for name in FORWARDED_HEADERS if name in headers},
    )


def _start_timeout(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise InvalidRequest("X-Fal-Request-Timeout must be a number of seconds") from None
    if not math.isfinite(seconds) or not MIN_START_TIMEOUT < seconds <= MAX_START_TIMEOUT:
        raise InvalidRequest(
            f"X-Fal-Request-Timeout must be more than {MIN_START_TIMEOUT} and at most "
            f"{MAX_START_TIMEOUT:.0f} seconds"
        )
    return seconds


def _flag(value: str | None, name: str, *, default: bool) -> bool:
    return parse_flag(
        value,
        default=default,
        true=TRUE_WORDS,
        false=FALSE_WORDS,
        error=f"{name} must be one of 1, 0, true, false, yes, no",
    )


def _max_queue_length(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        length = int(value)
    except ValueError:
        raise InvalidRequest("fal_max_queue_length must be an integer") from None
    if length < 0:
        raise InvalidRequest("fal_max_queue_length must not be negative")
    return length
