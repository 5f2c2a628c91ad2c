"""``impasto/debug``: an app that does what its input says, for tests, benchmarks and drills.

``sleep`` seconds spread over ``logs`` log lines (with progress), ``fail`` to raise,
``crash: N`` to kill the runner process mid-request on each of the request's first N
attempts, ``payload`` echoed back with the attempt number.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from pydantic import BaseModel, Field, JsonValue

from impasto.sdk import App, current_request, endpoint

CRASH_EXIT_CODE = 17


class DebugInput(BaseModel):
    sleep: float = Field(default=0.0, ge=0, le=86400, description="Seconds to run for.")
    logs: int = Field(default=0, ge=0, le=10000, description="Log lines to emit while running.")
    fail: bool = Field(default=False, description="Raise an error instead of answering.")
    crash: int = Field(
        default=0,
        ge=0,
        le=100,
        description="Exit the runner process abruptly mid-request on each of the first N attempts.",
    )
    payload: JsonValue = Field(default=None, description="Any JSON, echoed back.")


class DebugOutput(BaseModel):
    payload: JsonValue = Field(default=None, description="The input's payload.")
    attempt: int = Field(description="Which attempt answered, starting at 1.")


class DebugStreamInput(BaseModel):
    chunks: int = Field(default=3, ge=1, le=1000, description="Partial outputs to yield.")
    sleep: float = Field(default=0.0, ge=0, le=3600, description="Seconds between chunks.")
    payload: JsonValue = Field(default=None, description="Any JSON, echoed in every chunk.")


class DebugChunk(BaseModel):
    index: int
    partial: bool = Field(description="False on the last chunk.")
    payload: JsonValue = None
    attempt: int


class DebugApp(App, name="debug", keep_alive=300, max_multiplexing=64, request_timeout=3600):
    @endpoint("/")
    async def run(self, inp: DebugInput) -> DebugOutput:
        ctx = current_request()
        crash = inp.crash >= ctx.attempt
        steps = max(inp.logs, 1)
        for step in range(steps):
            if crash and step >= steps // 2:
                ctx.log(f"crashing the runner (attempt {ctx.attempt} of {inp.crash})", "warning")
                os._exit(CRASH_EXIT_CODE)
            if step < inp.logs:
                ctx.log(f"debug log {step + 1} of {inp.logs}")
                ctx.progress((step + 1) / steps)
            if inp.sleep:
                await asyncio.sleep(inp.sleep / steps)
        if inp.fail:
            raise RuntimeError("debug: failure requested by the input")
        return DebugOutput(payload=inp.payload, attempt=ctx.attempt)

    @endpoint("/stream")
    async def stream(self, inp: DebugStreamInput) -> AsyncIterator[DebugChunk]:
        ctx = current_request()
        for index in range(inp.chunks):
            if index and inp.sleep:
                await asyncio.sleep(inp.sleep)
            last = index == inp.chunks - 1
            yield DebugChunk(
                index=index, partial=not last, payload=inp.payload, attempt=ctx.attempt
            )
