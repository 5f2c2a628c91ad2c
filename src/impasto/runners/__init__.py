"""Runner processes: one per app, ``setup()`` once, then many requests.

``RunnerHandle`` (parent side) spawns ``impasto.runners.process`` (child side) and talks
to it in length-prefixed JSON frames; see docs/architecture/runners.md. Names are loaded
on first use so that the runner process does not import the parent's machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from impasto.runners.events import (
        LogEvent,
        Outcome,
        PartialEvent,
        ProgressEvent,
        RunnerEvent,
    )
    from impasto.runners.handle import FileResolver, RunnerHandle, RunnerSpec
    from impasto.runners.request_run import RequestRun, RunRequest
    from impasto.runners.spool import SPOOL_SCHEME, SpooledFile, replace_refs

_WHERE = {
    "LogEvent": "events",
    "Outcome": "events",
    "PartialEvent": "events",
    "ProgressEvent": "events",
    "RunnerEvent": "events",
    "FileResolver": "handle",
    "RunnerHandle": "handle",
    "RunnerSpec": "handle",
    "RequestRun": "request_run",
    "RunRequest": "request_run",
    "SPOOL_SCHEME": "spool",
    "SpooledFile": "spool",
    "replace_refs": "spool",
}

__all__ = [
    "SPOOL_SCHEME",
    "FileResolver",
    "LogEvent",
    "Outcome",
    "PartialEvent",
    "ProgressEvent",
    "RequestRun",
    "RunRequest",
    "RunnerEvent",
    "RunnerHandle",
    "RunnerSpec",
    "SpooledFile",
    "replace_refs",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'impasto.runners' has no attribute {name!r}")
    return getattr(importlib.import_module(f"impasto.runners.{module}"), name)
