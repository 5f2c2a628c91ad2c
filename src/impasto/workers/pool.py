"""The runners of one app on this machine: started on demand, stopped when idle.

Capacity is fal's: up to ``max_concurrency`` runner processes, each serving up to
``max_multiplexing`` requests at once; ``min_concurrency`` runners are kept warm and the
others stop after ``keep_alive`` idle seconds. A request with a runner hint goes to the
runner that last served that hint while it lives (session affinity).

A redeploy (``redeploy``) recycles the runners: idle ones stop at once, busy ones take no
new requests, finish what they hold on the old code and stop when idle; new requests
start runners of the new code.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from impasto.kit.logging import get_logger
from impasto.runners.handle import FileResolver, RunnerHandle, RunnerSpec
from impasto.runs.workers.local_link import AppSpec
from impasto.workers.code import CodePaths
from impasto.workers.metrics import RunnerMetrics

logger = get_logger(__name__)
PrepareCode = Callable[[AppSpec], Awaitable[CodePaths]]
OnEvent = Callable[[str, dict[str, str]], None]  # a runner event: (category, payload)
HOST = socket.gethostname()


class AppPool:
    def __init__(
        self,
        app: AppSpec,
        spool_root: Path,
        resolver: FileResolver,
        on_loaded: Callable[[bool], None],
        metrics: RunnerMetrics | None = None,
        prepare: PrepareCode | None = None,
        on_event: OnEvent | None = None,
    ) -> None:
        self._metrics = metrics or RunnerMetrics()
        self._prepare = prepare
        self._on_event = on_event or (lambda category, payload: None)
        self._starting = 0
        self._spool = spool_root
        self._resolver = resolver
        self._on_loaded = on_loaded
        self._reported_loaded: bool | None = None
        self._runners: list[RunnerHandle] = []
        self._retiring: list[RunnerHandle] = []  # old code: finishing their requests
        self._idle_since: dict[int, float] = {}
        self._hints: dict[str, RunnerHandle] = {}
        self._lock = asyncio.Lock()
        self.assigned = 0  # requests claimed for this app and not yet answered
        self._configure(app)

    def _configure(self, app: AppSpec) -> None:
        self.app = app
        settings = app.settings
        self.max_runners = max(1, int(settings.get("max_concurrency") or 1))
        self.min_runners = int(settings.get("min_concurrency") or 0)
        self.per_runner = max(1, int(settings.get("max_multiplexing") or 1))
        self.keep_alive = float(settings.get("keep_alive") or 0)
        self.startup_timeout = float(settings.get("startup_timeout") or 900)

    @property
    def capacity(self) -> int:
        return self.max_runners * self.per_runner

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.assigned)

    @property
    def loaded(self) -> bool:
        return any(runner.alive for runner in self._runners)

    @property
    def retiring(self) -> int:
        """Runners of an earlier deployment still finishing their requests."""
        return len(self._retiring)

    async def redeploy(self, app: AppSpec) -> None:
        """Serve ``app`` (a new deployment of this app) from now on: no request goes to
        a runner of the old code any more; those in flight finish there."""
        async with self._lock:
            self._configure(app)
            old, self._runners = self._runners, []
            self._hints = {}
            for runner in old:
                self._idle_since.pop(id(runner), None)
                self._event("runner_draining", runner, reason="redeployed")
            self._retiring += old
            logger.info("runners_recycled", app=app.app_id, runners=len(old))
            await self._stop_idle_retired()
            if not self._retiring:
                self._report_loaded(False)

    async def acquire(self, hint: str | None) -> RunnerHandle:
        """A live runner with a free slot, starting one if none has room."""
        async with self._lock:
            self._drop_dead()
            if hint is not None:
                pinned = self._hints.get(hint)
                if pinned is not None and pinned.alive and pinned.free_slots > 0:
                    return pinned
            for runner in self._runners:
                if runner.free_slots > 0:
                    return self._pin(runner, hint)
            if len(self._runners) < self.max_runners:
                return self._pin(await self._start(), hint)
        # Every runner is busy: wait for the least loaded one.
        return self._pin(min(self._runners, key=lambda r: r.in_flight), hint)

    async def warm(self) -> None:
        async with self._lock:
            self._drop_dead()
            while len(self._runners) < self.min_runners:
                await self._start()

    async def trim(self, now: float) -> None:
        """Stop runners idle longer than ``keep_alive``, keeping ``min_concurrency``, and
        retired runners that finished their requests."""
        async with self._lock:
            self._drop_dead()
            await self._stop_idle_retired()
            for runner in list(self._runners):
                if runner.in_flight:
                    self._idle_since.pop(id(runner), None)
                    continue
                since = self._idle_since.setdefault(id(runner), now)
                if now - since >= self.keep_alive and len(self._runners) > self.min_runners:
                    self._runners.remove(runner)
                    self._idle_since.pop(id(runner), None)
                    await runner.stop()
                    self._gone(runner)
            if not self._runners and not self._retiring:
                self._report_loaded(False)

    async def close(self) -> None:
        async with self._lock:
            runners, self._runners = self._runners + self._retiring, []
            self._retiring = []
        await asyncio.gather(*(runner.stop() for runner in runners), return_exceptions=True)
        for runner in runners:
            self._gone(runner)
        if runners:
            self._report_loaded(False)

    def counts(self) -> tuple[int, int, int, int]:
        """Runners by fal's states: running, idle, pending (starting), draining."""
        alive = [runner for runner in self._runners if runner.alive]
        running = sum(1 for runner in alive if runner.in_flight)
        return running, len(alive) - running, self._starting, len(self._retiring)

    async def _start(self) -> RunnerHandle:
        began = time.monotonic()
        self._starting += 1
        try:
            paths = await self._prepare(self.app) if self._prepare else CodePaths()
            spec = RunnerSpec(
                app=self.app.import_path,
                spool_dir=self._spool,
                startup_timeout=self.startup_timeout,
                env=self.app.env,
                import_first=paths.first,
                import_last=paths.last,
            )
            runner = await RunnerHandle.start(spec, resolver=self._resolver)
        except Exception as exc:
            self._metrics.start_failed(self.app.app_id, exc)
            self._on_event("runner_startup_failure", {"reason": str(exc)[:1000]})
            raise
        finally:
            self._starting -= 1
        self._metrics.started(self.app.app_id, time.monotonic() - began)
        self._event("runner_started", runner)
        self._runners.append(runner)
        logger.info("runner_started", app=self.app.app_id, pid=runner.pid)
        self._report_loaded(True)
        return runner

    def _report_loaded(self, loaded: bool) -> None:
        """Tell the catalog on changes only: each report is a write transaction."""
        if loaded != self._reported_loaded:
            self._reported_loaded = loaded
            self._on_loaded(loaded)

    async def _stop_idle_retired(self) -> None:
        for runner in list(self._retiring):
            if runner.alive and runner.in_flight:
                continue
            self._retiring.remove(runner)
            if runner.alive:
                await runner.stop()
            self._gone(runner)

    def _pin(self, runner: RunnerHandle, hint: str | None) -> RunnerHandle:
        if hint is not None:
            self._hints[hint] = runner
        return runner

    def _drop_dead(self) -> None:
        dead = [runner for runner in self._runners if not runner.alive]
        for runner in dead:
            self._runners.remove(runner)
            self._gone(runner, failed=True)
            logger.warning(
                "runner_exited",
                app=self.app.app_id,
                pid=runner.pid,
                returncode=runner.returncode,
                output=list(runner.output_tail)[-5:],
            )
        if dead:
            self._hints = {h: r for h, r in self._hints.items() if r.alive}

    def _gone(self, runner: RunnerHandle, *, failed: bool = False) -> None:
        """Count a runner that left the pool (once: it is out of ``_runners`` now)."""
        reason = runner.exit_reason or "stopped"
        self._metrics.exited(self.app.app_id, reason)
        self._event("runner_failed" if failed else "runner_finished", runner, reason=reason)

    def _event(self, category: str, runner: RunnerHandle, **payload: str) -> None:
        self._on_event(category, {"job_id": f"{HOST}:{runner.pid}", **payload})
