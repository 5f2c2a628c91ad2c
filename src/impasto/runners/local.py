"""``LocalRunner``: an app served inside this process by the runner's own runtime.

For tests and for benchmarks that compare the platform's overhead with the bare handler;
there is no isolation, so the platform itself never runs apps this way.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from impasto.kit.clock import Clock, SystemClock
from impasto.kit.ids import IdGenerator, UUIDv7Generator
from impasto.runners.protocol import Msg
from impasto.runners.runtime import AppRuntime
from impasto.sdk.app import App


@dataclass
class LocalResult:
    result: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> int:
        return int(self.result["status"])

    @property
    def body(self) -> Any:
        return self.result["body"]


class LocalRunner:
    def __init__(
        self,
        app: type[App],
        spool_dir: Path,
        *,
        resolver: Callable[[str], Awaitable[bytes]] | None = None,
        clock: Clock | None = None,
        ids: IdGenerator | None = None,
    ) -> None:
        self._app = app
        self._spool_dir = spool_dir
        self._resolver = resolver
        self._clock = clock or SystemClock()
        self._ids = ids or UUIDv7Generator()
        self._waiting: dict[str, tuple[asyncio.Future[LocalResult], LocalResult]] = {}
        self._runtime: AppRuntime | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._runtime = AppRuntime(
            self._app(), emit=self._emit, spool_root=self._spool_dir, clock=self._clock
        )
        await self._runtime.setup()

    async def stop(self) -> None:
        if self._runtime is not None:
            await self._runtime.drain()
            await self._runtime.teardown()

    async def call(
        self,
        path: str = "/",
        payload: Any = None,
        *,
        request_id: str | None = None,
        attempt: int = 1,
        headers: Mapping[str, str] | None = None,
    ) -> LocalResult:
        assert self._runtime is not None, "call start() first"
        request_id = request_id or self._ids.new()
        future: asyncio.Future[LocalResult] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = (future, LocalResult(result={}))
        self._runtime.start(
            {
                "type": Msg.REQUEST,
                "id": request_id,
                "path": path,
                "payload": payload,
                "attempt": attempt,
                "headers": dict(headers or {}),
            }
        )
        return await future

    def cancel(self, request_id: str) -> None:
        assert self._runtime is not None
        self._runtime.cancel(request_id)

    def _emit(self, message: dict[str, Any]) -> None:
        # Sync endpoints emit from worker threads; hand every message to the loop.
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._deliver, message)

    def _deliver(self, message: dict[str, Any]) -> None:
        if message["type"] == Msg.FETCH:
            asyncio.get_running_loop().create_task(self._fetch(message))
            return
        waiting = self._waiting.get(str(message.get("id")))
        if waiting is None:
            return
        future, collected = waiting
        if message["type"] == Msg.RESULT:
            collected.result = message
            del self._waiting[str(message["id"])]
            if not future.done():
                future.set_result(collected)
        else:
            collected.events.append(message)

    async def _fetch(self, message: dict[str, Any]) -> None:
        assert self._runtime is not None
        reply: dict[str, Any] = {"type": Msg.FETCHED, "fetch_id": message["fetch_id"]}
        if self._resolver is None:
            reply["error"] = "no resolver configured"
        else:
            try:
                data = await self._resolver(str(message["url"]))
                relative = f"_fetched/{secrets.token_hex(8)}"
                (self._spool_dir / "_fetched").mkdir(parents=True, exist_ok=True)
                (self._spool_dir / relative).write_bytes(data)
                reply["path"] = relative
            except Exception as exc:
                reply["error"] = str(exc) or type(exc).__name__
        self._runtime.fetched(reply)
