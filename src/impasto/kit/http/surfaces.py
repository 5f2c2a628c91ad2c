"""Which wire contract a path speaks, so errors come out in that surface's format."""

from __future__ import annotations

from enum import StrEnum


class Surface(StrEnum):
    PLATFORM = "platform"  # /v1: {"error": {"type", "message"}}
    RUN = "run"  # /queue, /run, /ws and the rest: {"detail": ...} + X-Fal-Error-Type
    SCENARIO = "scenario"  # /scenario: {"apiError": "<code>", "message": "..."}


def surface_for(path: str) -> Surface:
    if path == "/v1" or path.startswith("/v1/"):
        return Surface.PLATFORM
    if path == "/scenario" or path.startswith("/scenario/"):
        return Surface.SCENARIO
    return Surface.RUN
