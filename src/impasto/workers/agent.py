"""``WorkerAgent``: claims requests for the apps it serves and runs them on runners.

Per claimed request: pick a runner (starting one if needed), stream its logs, progress
and partial outputs to the platform in small batches, store output files, then finish
the request, or release it for another attempt when the runner died under it (or was
killed while it started: a broken app, which says so, fails at once instead). A
heartbeat loop renews the leases of everything in flight and carries cancellations back.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from impasto.kit.logging import get_logger
from impasto.runners.errors import (
    RunnerClosed,
    RunnerStartFailed,
    RunnerStartKilled,
    RunnerStartTimeout,
)
from impasto.runners.events import LogEvent, Outcome, PartialEvent, ProgressEvent
from impasto.runners.request_run import RunRequest
from impasto.runners.spool import SpooledFile, replace_refs
from impasto.runs.deployments.activity import Sample
from impasto.runs.queue.completion import Result, platform_failure
from impasto.runs.queue.leases import Claim
from impasto.runs.workers.local_link import AppSpec
from impasto.workers.code import CodeCache, CodePaths, CodeSettings, CodeUnavailable
from impasto.workers.link import WorkerLink
from impasto.workers.metrics import RunnerMetrics
from impasto.workers.pool import AppPool

logger = get_logger(__name__)
FLUSH_SECONDS = 0.1
FLUSH_EVENTS = 200
# Release reasons that are not a runner dying under the request (``runner_disconnected``,
# which ``LeaseService.release`` counts against the request): they say nothing about it.
NOT_SENT = "runner_connection_refused"
NOT_STARTED = "runner_scheduling_failure"


@dataclass(frozen=True)
class AgentConfig:
    spool_dir: Path
    heartbeat_seconds: float = 5.0
    poll_seconds: float = 5.0
    apps_refresh_seconds: float = 10.0
    sample_seconds: float = 60.0  # runner counts per app (runner history's resolution)
    only_apps: frozenset[str] | None = None  # app ids this worker serves; None: all
    # Apps deployed as code: where their revisions and requirements go (None: only apps
    # importable from this environment can run here).
    code: CodeSettings | None = None


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}"


class WorkerAgent:
    def __init__(
        self, link: WorkerLink, config: AgentConfig, metrics: RunnerMetrics | None = None
    ) -> None:
        self._link = link
        self._config = config
        self._metrics = metrics or RunnerMetrics()
        self._pools: dict[str, AppPool] = {}
        self._running: dict[str, tuple[Claim, AppPool, asyncio.Task[None]]] = {}
        self._runners: dict[str, Any] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._side_tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._apps_checked = 0.0
        self._activity: list[tuple[str, str, dict[str, str]]] = []  # runner events to send
        self._sampled = 0.0
        self._code = CodeCache(config.code, link.fetch_code) if config.code else None

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._claim_loop(), name="worker-claims"),
            asyncio.create_task(self._heartbeat_loop(), name="worker-heartbeats"),
        ]

    async def stop(self) -> None:
        """Stop claiming, stop the runners; what is in flight goes back to the queue
        when its lease runs out (or right away for requests the runners fail)."""
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
        for _, _, task in list(self._running.values()):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(
            *(task for _, _, task in self._running.values()), return_exceptions=True
        )
        await asyncio.gather(*(pool.close() for pool in self._pools.values()))
        # Flushes and catalog updates still running use the database: let them end.
        await asyncio.gather(*self._side_tasks, return_exceptions=True)
        self._link.close()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    @property
    def in_flight(self) -> int:
        return len(self._running)

    # -- claiming -------------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                more = await self._claim_round()
            except Exception:
                logger.exception("claim_round_failed")
                more = False
            if not more:
                await self._link.wait_for_work(self._config.poll_seconds)

    async def _claim_round(self) -> bool:
        """Claim for every app with free slots; True if some app may have more waiting
        (it got all it asked for), so the next round should not wait."""
        await self._refresh_apps()
        more = False
        for pool in list(self._pools.values()):
            await pool.trim(time.monotonic())
            wanted = pool.free
            if wanted <= 0:
                continue
            claims = await self._link.claim(pool.app.app_id, wanted)
            for claim in claims:
                pool.assigned += 1
                task = asyncio.create_task(self._execute(pool, claim))
                self._running[claim.request_id] = (claim, pool, task)
            more = more or len(claims) == wanted
        return more

    async def _refresh_apps(self) -> None:
        now = time.monotonic()
        if self._pools and now - self._apps_checked < self._config.apps_refresh_seconds:
            return
        self._apps_checked = now
        wanted = {
            app.app_id: app
            for app in await self._link.apps()
            if self._config.only_apps is None or app.app_id in self._config.only_apps
        }
        for app_id in list(self._pools):
            pool = self._pools[app_id]
            if app_id not in wanted:
                if pool.assigned == 0:
                    await pool.close()
                    del self._pools[app_id]
            elif wanted[app_id] != pool.app:  # redeployed: new code, maybe new settings
                await pool.redeploy(wanted[app_id])
                self._spawn(self._warm(pool))
        for app_id, app in wanted.items():
            if app_id not in self._pools:
                self._pools[app_id] = self._new_pool(app)
                self._spawn(self._warm(self._pools[app_id]))

    def _new_pool(self, app: AppSpec) -> AppPool:
        def on_loaded(loaded: bool) -> None:
            self._spawn(self._set_loaded(app.app_id, loaded))

        return AppPool(
            app,
            self._config.spool_dir / app.app_id.replace("/", "--"),
            self._fetch_input,
            on_loaded,
            self._metrics,
            self._prepare_code,
            lambda category, payload: self._activity.append((app.app_id, category, payload)),
        )

    async def _prepare_code(self, app: AppSpec) -> CodePaths:
        if not app.revision_id:
            return CodePaths()
        if self._code is None:
            raise CodeUnavailable(
                f"{app.app_id} is deployed as code; this worker has no code cache"
            )
        return await self._code.prepare(app)

    async def _fetch_input(self, request_id: str, url: str) -> bytes:
        """An input file a runner asked for, read in its request's name (its owner's
        private files are readable to it)."""
        running = self._running.get(request_id)
        if running is None:
            raise LookupError(f"request {request_id} is not running on this worker")
        return await self._link.fetch_input(running[0], url)

    async def _warm(self, pool: AppPool) -> None:
        try:
            await pool.warm()
        except Exception:
            logger.exception("runner_warm_failed", app=pool.app.app_id)

    async def _set_loaded(self, app_id: str, loaded: bool) -> None:
        try:
            await self._link.set_loaded(app_id, loaded)
        except Exception:
            logger.exception("set_loaded_failed", app=app_id)

    # -- one request ----------------------------------------------------------------------

    async def _execute(self, pool: AppPool, claim: Claim) -> None:
        log = logger.bind(request_id=claim.request_id, app=claim.app_id, attempt=claim.attempt)
        try:
            await self._run(pool, claim, log)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("request_failed_in_worker")
            result = platform_failure(500, "Internal error in the worker", "internal_error")
            with contextlib.suppress(Exception):
                await self._link.finish(claim.request_id, claim.attempt, result)
        finally:
            was_full = pool.free == 0
            pool.assigned -= 1
            self._running.pop(claim.request_id, None)
            self._runners.pop(claim.request_id, None)
            if was_full:  # requests may be waiting for this slot
                self._link.wake()

    async def _run(self, pool: AppPool, claim: Claim, log: Any) -> None:
        try:
            runner = await pool.acquire(claim.runner_hint)
        except RunnerStartKilled as exc:  # not the app's fault: the next start may work
            log.warning("runner_killed_while_starting", error=str(exc))
            result = platform_failure(503, str(exc), NOT_STARTED)
            await self._link.release(claim.request_id, claim.attempt, result)
            return
        except (RunnerStartFailed, RunnerStartTimeout) as exc:
            log.error("runner_start_failed", error=str(exc))
            kind = "startup_timeout" if isinstance(exc, RunnerStartTimeout) else None
            result = platform_failure(504 if kind else 503, str(exc), kind or NOT_STARTED)
            await self._link.finish(claim.request_id, claim.attempt, result)
            return
        started = time.monotonic()
        request = RunRequest(
            request_id=claim.request_id,
            path=claim.path,
            payload=claim.payload,
            attempt=claim.attempt,
            headers={"x-fal-request-id": claim.request_id, **claim.headers},
        )
        try:
            run = await runner.submit(request)
        except RunnerClosed:
            message = "The runner stopped before the request could be sent to it"
            result = platform_failure(503, message, NOT_SENT)
            await self._link.release(claim.request_id, claim.attempt, result)
            return
        self._runners[claim.request_id] = runner
        batch = _EventBatch(self._link, claim, self._spawn)
        outcome: Outcome | None = None
        async for event in run.events():
            if isinstance(event, LogEvent):
                batch.add("log", _log_entry(event))
            elif isinstance(event, ProgressEvent):
                batch.add("progress", {"fraction": event.fraction, "message": event.message})
            elif isinstance(event, PartialEvent):
                output = await self._with_files(claim, event.output, event.files, runner)
                batch.add("partial", {"output": output})
                await batch.flush()
            else:
                outcome = event
        await batch.flush()
        assert outcome is not None
        body = await self._with_files(claim, outcome.body, outcome.files, runner)
        result = Result(
            status_code=outcome.status_code,
            body=body,
            error=outcome.error,
            error_type=outcome.error_type,
            headers=outcome.headers,
            inference_time=round(time.monotonic() - started, 6),
        )
        if outcome.retryable:
            log.warning("attempt_failed", error_type=outcome.error_type)
            await self._link.release(claim.request_id, claim.attempt, result)
        else:
            await self._link.finish(claim.request_id, claim.attempt, result)

    async def _with_files(
        self, claim: Claim, value: Any, files: Sequence[SpooledFile], runner: Any
    ) -> Any:
        if not files:
            return value
        urls: dict[str, str] = {}
        for spooled in files:
            path = runner.spec.spool_dir / spooled.path
            try:
                urls[spooled.ref] = await self._link.store_output(claim, spooled, path)
            finally:
                path.unlink(missing_ok=True)
        return replace_refs(value, urls)

    # -- heartbeats and cancellation ------------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        while not self._stopping.is_set():
            await self._link.wait_for_cancel(self._config.heartbeat_seconds)
            await self._send_activity()
            ids = list(self._running)
            if not ids:
                continue
            try:
                beat = await self._link.heartbeat(ids)
            except Exception:
                logger.exception("heartbeat_failed")
                continue
            for request_id in [*beat.cancel, *beat.lost]:
                runner = self._runners.get(request_id)
                if runner is not None:
                    await runner.cancel(request_id)

    async def _send_activity(self) -> None:
        """Runner events as they come, and a count of each app's runners once a sample
        period (apps with none are left out: no sample means none)."""
        events, self._activity = self._activity, []
        samples: list[Sample] = []
        now = time.monotonic()
        if now - self._sampled >= self._config.sample_seconds:
            self._sampled = now
            for app_id, pool in self._pools.items():
                counts = pool.counts()
                if any(counts):
                    samples.append(Sample(app_id, *counts))
        if not events and not samples:
            return
        try:
            await self._link.app_activity(events, samples)
        except Exception:
            logger.exception("app_activity_failed", events=len(events))


class _EventBatch:
    """Logs and progress sent in batches: one transaction per ~0.1 s, not per line.

    A timer flushes what waits, so a line logged before a long silence still shows up.
    """

    def __init__(
        self, link: WorkerLink, claim: Claim, spawn: Callable[[Coroutine[Any, Any, None]], None]
    ) -> None:
        self._link = link
        self._claim = claim
        self._spawn = spawn
        self._items: list[tuple[str, Any]] = []
        self._lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None

    def add(self, kind: str, data: Any) -> None:
        self._items.append((kind, data))
        if len(self._items) >= FLUSH_EVENTS:
            self._schedule(0)
        elif self._timer is None:
            self._schedule(FLUSH_SECONDS)

    async def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        async with self._lock:
            if self._items:
                items, self._items = self._items, []
                await self._link.report(self._claim.request_id, self._claim.attempt, items)

    def _schedule(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(delay, lambda: self._spawn(self.flush()))


def _log_entry(event: LogEvent) -> dict[str, Any]:
    level = event.level.upper()
    return {
        "message": event.message,
        "level": {"WARNING": "WARN"}.get(level, level),
        "source": "USER",
        "timestamp": event.timestamp,
        "labels": {},
    }
