"""In the runner: prints and stdlib logging become log lines of the request that made them.

The request is found through the SDK's context variable, so a print in a sync endpoint's
worker thread lands in that request's logs; output with no request around (imports,
``setup``) goes out as a runner-level line (``id`` null).
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable

from impasto.sdk.context import maybe_current_request, set_runner_log

LogLine = Callable[[str | None, str, str], None]

_LEVELS = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "error",
}


class LineCapture(io.TextIOBase):
    """A text stream that turns each complete line into a log line."""

    def __init__(self, level: str, log_line: LogLine) -> None:
        super().__init__()
        self._level = level
        self._log_line = log_line
        self._partial: dict[str | None, str] = {}
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        ctx = maybe_current_request()
        key = ctx.request_id if ctx is not None else None
        with self._lock:
            buffered = self._partial.pop(key, "") + text
            *lines, rest = buffered.split("\n")
            if rest:
                self._partial[key] = rest
        for line in lines:
            self._log_line(key, self._level, line)
        return len(text)

    def flush(self) -> None:
        with self._lock:
            pending, self._partial = self._partial, {}
        for key, line in pending.items():
            self._log_line(key, self._level, line)


class RequestLogHandler(logging.Handler):
    def __init__(self, log_line: LogLine) -> None:
        super().__init__(level=logging.DEBUG)
        self._log_line = log_line
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            ctx = maybe_current_request()
            level = _LEVELS.get(record.levelno, "info")
            self._log_line(ctx.request_id if ctx else None, level, self.format(record))
        except Exception:
            self.handleError(record)


def install(log_line: LogLine) -> None:
    """Point ``sys.stdout``/``sys.stderr``, the root logger and ``log()`` outside a
    request at ``log_line``."""
    import sys

    set_runner_log(lambda level, message: log_line(None, level, message))
    sys.stdout = LineCapture("stdout", log_line)
    sys.stderr = LineCapture("stderr", log_line)
    root = logging.getLogger()
    root.handlers[:] = [RequestLogHandler(log_line)]
    root.setLevel(logging.INFO)
