"""The per-request context an endpoint reaches with ``current_request()``.

The context forwards logs, progress and file fetches to a ``ContextSink``: the runner
process plugs in one that writes protocol frames, in-process callers a ``RecordingSink``.
It lives in a context variable, so it follows the request into the worker thread of a
sync endpoint and into tasks an async endpoint starts.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Protocol

from impasto.sdk.errors import FetchError, RequestCancelled

# fal's result header for the units a request bills (``set_billable_units``).
UNITS_HEADER = "x-fal-billable-units"
LOG_LEVELS = frozenset({"debug", "info", "warning", "error", "stdout", "stderr"})


class ContextSink(Protocol):
    def log(self, request_id: str, level: str, message: str) -> None: ...

    def progress(self, request_id: str, fraction: float, message: str | None) -> None: ...

    def fetch(self, url: str) -> bytes:
        """Bytes behind an http(s) URL; called from a worker thread, never the event loop."""
        ...

    async def afetch(self, url: str) -> bytes: ...


class RequestContext:
    def __init__(
        self,
        *,
        request_id: str,
        endpoint: str,
        attempt: int,
        headers: Mapping[str, str],
        sink: ContextSink,
    ) -> None:
        self.request_id = request_id
        self.endpoint = endpoint
        self.attempt = attempt
        self.headers = dict(headers)
        self._sink = sink
        self._cancelled = threading.Event()
        # What the request bills, when the app says (``set_billable_units``); None: the
        # platform's default for the endpoint's price unit.
        self.billable_units: float | None = None

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def mark_cancelled(self) -> None:
        """Called by the runner; sync endpoints see it through ``cancelled``."""
        self._cancelled.set()

    def raise_if_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise RequestCancelled(self.request_id)

    def log(self, message: str, level: str = "info") -> None:
        level = level.lower()
        if level not in LOG_LEVELS:
            raise ValueError(f"unknown log level {level!r}")
        self._sink.log(self.request_id, level, str(message))

    def progress(self, fraction: float, message: str | None = None) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"progress must be between 0 and 1, got {fraction}")
        self._sink.progress(self.request_id, float(fraction), message)

    def set_billable_units(self, units: float) -> None:
        """Bill ``units`` of the endpoint's price unit for this request (fal's
        ``x-fal-billable-units``); the last call wins."""
        value = float(units)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"billable units must be a finite number >= 0, got {units!r}")
        self.billable_units = value

    def fetch(self, url: str) -> bytes:
        return self._sink.fetch(url)

    async def afetch(self, url: str) -> bytes:
        return await self._sink.afetch(url)


_current: ContextVar[RequestContext | None] = ContextVar("impasto_request", default=None)


def current_request() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        raise RuntimeError("no request is being served in this context")
    return ctx


def maybe_current_request() -> RequestContext | None:
    return _current.get()


def bind_request(ctx: RequestContext | None) -> Token[RequestContext | None]:
    """Make ``ctx`` current; returns a token for ``unbind_request``."""
    return _current.set(ctx)


def unbind_request(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


RunnerLog = Callable[[str, str], None]
_runner_log: RunnerLog | None = None
_STDLIB_LEVELS = {"debug": logging.DEBUG, "warning": logging.WARNING, "error": logging.ERROR}


def set_runner_log(sink: RunnerLog | None) -> None:
    """Where ``log()`` sends lines written outside any request (``setup``, ``teardown``,
    an app's own threads): the runner process plugs in its runner-level log lines."""
    global _runner_log  # noqa: PLW0603 - one runner per process
    _runner_log = sink


def log(message: str, level: str = "info") -> None:
    """Log a line into the current request's logs; outside a request (``setup``), into
    the runner's own log (or the ``impasto.app`` stdlib logger outside a runner)."""
    ctx = _current.get()
    if ctx is not None:
        ctx.log(message, level)
        return
    level = level.lower()
    if level not in LOG_LEVELS:
        raise ValueError(f"unknown log level {level!r}")
    if _runner_log is not None:
        _runner_log(level, str(message))
    else:
        logging.getLogger("impasto.app").log(_STDLIB_LEVELS.get(level, logging.INFO), message)


def set_billable_units(units: float) -> None:
    """Bill ``units`` for the current request, e.g. the images or seconds it produced."""
    current_request().set_billable_units(units)


def progress(fraction: float, message: str | None = None) -> None:
    """Report how far the current request has got (0.0 to 1.0)."""
    current_request().progress(fraction, message)


@dataclass
class RecordingSink:
    """A sink that keeps what it is told; for in-process calls and tests."""

    fetcher: Callable[[str], bytes] | None = None
    async_fetcher: Callable[[str], Awaitable[bytes]] | None = None
    logs: list[tuple[str, str, str]] = field(default_factory=list)
    progress_reports: list[tuple[str, float, str | None]] = field(default_factory=list)

    def log(self, request_id: str, level: str, message: str) -> None:
        self.logs.append((request_id, level, message))

    def progress(self, request_id: str, fraction: float, message: str | None) -> None:
        self.progress_reports.append((request_id, fraction, message))

    def fetch(self, url: str) -> bytes:
        if self.fetcher is None:
            raise FetchError(f"no resolver for {url!r}")
        return self.fetcher(url)

    async def afetch(self, url: str) -> bytes:
        if self.async_fetcher is not None:
            return await self.async_fetcher(url)
        return self.fetch(url)
