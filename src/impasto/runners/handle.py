"""``RunnerHandle``: the parent's side of one runner process.

Spawns the process with an isolated environment, waits for ``ready`` (startup timeout),
sends requests and routes their frames to ``RequestRun`` objects, answers file fetches
through an injected resolver, and turns every way a runner can fail into an ``Outcome``:
a crash fails each request in flight with ``runner_disconnected`` (retryable), a request
over its timeout kills the runner and fails with ``request_timeout``, a cancelled request
that does not stop within the grace period kills the runner too. A request whose payload
cannot be sent answers 422 without reaching the runner; a frame from the runner that
cannot be read fails only the request it names.
"""

from __future__ import annotations

import asyncio
import collections
import os
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from impasto.kit.logging import get_logger
from impasto.runners.env import runner_environment
from impasto.runners.errors import (
    RunnerClosed,
    RunnerStartFailed,
    RunnerStartKilled,
    RunnerStartTimeout,
)
from impasto.runners.events import LogEvent, Outcome, PartialEvent, ProgressEvent, failure
from impasto.runners.protocol import (
    REQUEST_ID,
    FrameUndecodable,
    FrameUnencodable,
    Msg,
    ProtocolError,
    encode,
    read_frame,
)
from impasto.runners.request_run import RequestRun, RunRequest
from impasto.runners.spool import SpooledFile
from impasto.sdk.context import UNITS_HEADER
from impasto.sdk.introspect import AppManifest
from impasto.sdk.validation import input_limits_detail, summarize

FileResolver = Callable[[str, str], Awaitable[bytes]]
"""``(request id, url) -> bytes``: an input file a request's app asked for, fetched for
that request (as its owner)."""
logger = get_logger(__name__)
EXIT_WAIT = 5.0  # seconds a runner may linger after its frame stream ends


@dataclass(frozen=True)
class RunnerSpec:
    app: str
    """Import path of the app class, ``package.module:ClassName``."""
    spool_dir: Path
    startup_timeout: float = 900.0
    request_timeout: float | None = None
    """``None``: the app's own ``request_timeout``."""
    max_multiplexing: int | None = None
    """``None``: the app's own ``max_multiplexing``."""
    cancel_grace: float = 5.0
    stop_timeout: float = 30.0
    heartbeat_interval: float = 1.0
    heartbeat_timeout: float | None = 30.0
    """Kill a ready runner silent this long (its event loop is blocked); ``None``: never."""
    env: Mapping[str, str] = field(default_factory=dict)
    # Folders put before the runner's import path (an app revision's code) and after it
    # (its requirements), see ``impasto.workers.code``.
    import_first: tuple[Path, ...] = ()
    import_last: tuple[Path, ...] = ()
    python: str = sys.executable
    cwd: Path | None = None


class RunnerHandle:
    def __init__(
        self, spec: RunnerSpec, process: asyncio.subprocess.Process, resolver: FileResolver | None
    ) -> None:
        self.spec = spec
        self._process = process
        self._resolver = resolver
        self._loop = asyncio.get_running_loop()
        self._ready: asyncio.Future[AppManifest] = self._loop.create_future()
        self._closed = asyncio.Event()
        self._runs: dict[str, RequestRun] = {}
        self._slots: asyncio.Semaphore | None = None
        self._waiting = 0
        self._stopping = False
        self._fatal: str | None = None
        self._kill_reason: str | None = None
        self.manifest: AppManifest | None = None
        self.last_heartbeat = self._loop.time()
        self.output_tail: collections.deque[str] = collections.deque(maxlen=50)
        self._tasks = [
            self._loop.create_task(self._read_frames()),
            self._loop.create_task(self._read_output()),
        ]
        if spec.heartbeat_timeout is not None:
            self._tasks.append(self._loop.create_task(self._watch_heartbeats()))
        self._log = logger.bind(app=spec.app, runner_pid=process.pid)

    # -- lifecycle ---------------------------------------------------------------------
    @classmethod
    async def start(cls, spec: RunnerSpec, *, resolver: FileResolver | None = None) -> RunnerHandle:
        """Spawn a runner and return once its ``setup()`` has finished."""
        spec.spool_dir.mkdir(parents=True, exist_ok=True)
        command = [
            spec.python, "-m", "impasto.runners.process",
            "--app", spec.app,
            "--spool", str(spec.spool_dir.resolve()),
            "--heartbeat-interval", str(spec.heartbeat_interval),
        ]  # fmt: skip
        if spec.max_multiplexing is not None:
            command += ["--max-multiplexing", str(spec.max_multiplexing)]
        for folder in spec.import_last:
            command += ["--import-last", str(folder)]
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=runner_environment(spec.env, first=spec.import_first),
            cwd=spec.cwd,
            start_new_session=True,  # its own process group: a kill takes its children too
            limit=2**20,
        )
        handle = cls(spec, process, resolver)
        try:
            await asyncio.wait_for(asyncio.shield(handle._ready), spec.startup_timeout)
        except TimeoutError:
            handle.kill("startup timeout")
            await handle.wait_closed()
            raise RunnerStartTimeout(
                f"{spec.app} was not ready within {spec.startup_timeout:g} seconds"
            ) from None
        except BaseException:
            handle.kill("start failed")
            await handle.wait_closed()
            raise
        return handle

    async def stop(self, grace: float | None = None) -> None:
        """Let requests in flight finish, run ``teardown()``, and wait for the exit."""
        if self._closed.is_set():
            return
        self._stopping = True
        await self._send({"type": Msg.SHUTDOWN})
        try:
            await asyncio.wait_for(self._closed.wait(), grace or self.spec.stop_timeout)
        except TimeoutError:
            self.kill("stop timeout")
            await self._closed.wait()

    def kill(self, reason: str = "killed") -> None:
        if self._process.returncode is not None:
            return
        self._kill_reason = self._kill_reason or reason
        try:
            os.killpg(self._process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            self._process.kill()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    # -- state -------------------------------------------------------------------------
    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._closed.is_set() else None

    @property
    def exit_reason(self) -> str | None:
        """Why the runner is gone (None while it lives): why it was killed
        (``request_timeout``, ``no_heartbeat``...), ``stopped`` when asked to stop, else
        ``crashed``. A bounded set, for metrics."""
        if not self._closed.is_set():
            return None
        if self._kill_reason is not None:
            return self._kill_reason.replace(" ", "_")
        return "stopped" if self._stopping else "crashed"

    @property
    def alive(self) -> bool:
        return not self._closed.is_set() and self._process.returncode is None

    @property
    def capacity(self) -> int:
        if self.spec.max_multiplexing is not None:
            return self.spec.max_multiplexing
        return self.manifest.settings.max_multiplexing if self.manifest else 1

    @property
    def in_flight(self) -> int:
        return len(self._runs)

    @property
    def free_slots(self) -> int:
        return max(0, self.capacity - self.in_flight) if self.alive else 0

    def seconds_since_heartbeat(self) -> float:
        return self._loop.time() - self.last_heartbeat

    # -- requests ----------------------------------------------------------------------
    async def submit(self, request: RunRequest) -> RequestRun:
        """Send a request, waiting for a free slot first; its events follow on the run.

        A payload that cannot be sent (past the input limits, NaN, not JSON...) answers
        422 at once, on a run that never held a slot: the runner never sees it."""
        if not REQUEST_ID.fullmatch(request.request_id):
            raise ValueError(f"request id {request.request_id!r} must match {REQUEST_ID.pattern}")
        if request.request_id in self._runs:
            raise ValueError(f"request {request.request_id} is already running here")
        # Check and encode first, so that a payload no runner could decode never holds a
        # slot. It may have been queued before the submit checks existed.
        detail = input_limits_detail(request.payload, max_bytes=None)
        frame = b""
        if not detail:
            try:
                frame = encode(
                    {
                        "type": Msg.REQUEST,
                        "id": request.request_id,
                        "path": request.path,
                        "payload": request.payload,
                        "attempt": request.attempt,
                        "headers": dict(request.headers),
                    }
                )
            except FrameUnencodable as exc:
                msg = f"Input cannot be sent to the runner: {exc}"
                detail = [{"loc": ["body"], "msg": msg, "type": "value_error"}]
        if detail:
            return _refused(request.request_id, detail)
        if not self.alive or self._stopping or self._slots is None:
            raise RunnerClosed("the runner is not accepting requests")
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        if not self.alive or self._stopping:
            self._slots.release()
            raise RunnerClosed("the runner stopped before the request could be sent")
        run = RequestRun(request.request_id)
        self._runs[request.request_id] = run
        assert self.manifest is not None
        timeout = (
            request.timeout or self.spec.request_timeout or self.manifest.settings.request_timeout
        )
        run.timers.append(self._loop.call_later(timeout, self._timed_out, request.request_id))
        await self._write(frame)
        return run

    async def cancel(self, request_id: str) -> bool:
        """Ask the app to stop a request; kill the runner if it has not within the grace."""
        run = self._runs.get(request_id)
        if run is None:
            return False
        await self._send({"type": Msg.CANCEL, "id": request_id})
        run.timers.append(
            self._loop.call_later(self.spec.cancel_grace, self._cancel_expired, request_id)
        )
        return True

    def _timed_out(self, request_id: str) -> None:
        outcome = failure(request_id, 504, "Request timed out", "request_timeout", retryable=False)
        if self._fail(request_id, outcome):
            self._log.warning("request_timed_out_runner_killed", request_id=request_id)
            self.kill("request timeout")

    def _cancel_expired(self, request_id: str) -> None:
        outcome = failure(request_id, 499, "Request cancelled", "client_cancelled", retryable=False)
        if self._fail(request_id, outcome):
            self._log.warning("cancel_ignored_runner_killed")
            self.kill("cancel grace expired")

    def _fail(self, request_id: str, outcome: Outcome) -> bool:
        run = self._runs.pop(request_id, None)
        if run is None:
            return False
        run.finish(outcome)
        if self._slots is not None:
            self._slots.release()
        return True

    async def _send(self, message: dict[str, Any]) -> None:
        await self._write(encode(message))

    async def _write(self, frame: bytes) -> None:
        stdin = self._process.stdin
        if stdin is None or stdin.is_closing():
            return
        try:
            stdin.write(frame)
            await stdin.drain()
        except (ConnectionError, RuntimeError):
            pass  # the reader sees the exit and fails what is in flight

    # -- frames from the runner --------------------------------------------------------
    async def _read_frames(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            while True:
                try:
                    message = await read_frame(stdout)
                except FrameUndecodable as exc:  # the stream is still in step
                    self._unreadable(exc.kind, exc.request_id, str(exc))
                    continue
                if message is None:
                    break
                try:
                    self._dispatch(message)
                except (KeyError, TypeError, ValueError) as exc:  # a field of the wrong kind
                    self._unreadable(message["type"], message.get("id"), repr(exc))
        except ProtocolError as exc:
            self._log.error("runner_protocol_error_runner_killed", error=str(exc))
            self.kill("protocol error")
        finally:
            try:
                await asyncio.wait_for(self._process.wait(), EXIT_WAIT)
            except TimeoutError:  # it closed its frame stream but lives on: useless now
                self.kill("frame stream closed")
                await self._process.wait()
            self._closed_down()

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        run = self._runs.get(str(message.get("id")))
        if kind == Msg.HEARTBEAT:
            self.last_heartbeat = self._loop.time()
        elif kind == Msg.LOG:
            event = LogEvent(
                request_id=str(message.get("id")),
                level=str(message["level"]),
                message=str(message["message"]),
                timestamp=str(message["timestamp"]),
            )
            if run is not None:
                run.push(event)
            elif message.get("id") is None:
                self.output_tail.append(event.message)
                self._log.info("runner_log", level=event.level, line=event.message)
        elif kind == Msg.PROGRESS and run is not None:
            fraction = float(message["fraction"])
            run.push(ProgressEvent(run.request_id, fraction, message.get("message")))
        elif kind == Msg.PARTIAL and run is not None:
            files = self._files(message)
            run.push(PartialEvent(run.request_id, message.get("output"), files))
        elif kind == Msg.RESULT and run is not None:
            # Read every field before the run leaves ``_runs``: a bad one fails it there.
            status = int(message["status"])
            outcome = Outcome(
                request_id=run.request_id,
                status_code=status,
                body=message.get("body"),
                error=_text(message.get("error")),
                error_type=_text(message.get("error_type")),
                files=self._files(message),
                retryable=status == 503,
                headers=_result_headers(message),
            )
            self._runs.pop(run.request_id, None)
            run.finish(outcome)
            if self._slots is not None:
                self._slots.release()
        elif kind == Msg.FETCH:
            fetching = self._fetch(
                str(message.get("id")), int(message["fetch_id"]), str(message["url"])
            )
            self._loop.create_task(fetching)
        elif kind == Msg.READY and not self._ready.done():
            self.manifest = AppManifest.from_json(message["manifest"])
            self._slots = asyncio.Semaphore(self.capacity)
            self.last_heartbeat = self._loop.time()
            self._ready.set_result(self.manifest)
        elif kind == Msg.FATAL:
            self._fatal = str(message.get("error"))

    def _unreadable(self, kind: str | None, request_id: Any, reason: str) -> None:
        """A frame that could not be read: a request whose answer (or partial output) it
        was fails with a 500; a lost log line or progress report is only logged."""
        self._log.error("runner_frame_unreadable", kind=kind, error=reason[:500])
        if kind in (Msg.RESULT, Msg.PARTIAL) and isinstance(request_id, str):
            outcome = failure(
                request_id,
                500,
                "The runner's answer could not be read",
                "runner_server_error",
                retryable=False,
            )
            self._fail(request_id, outcome)

    def _files(self, message: Mapping[str, Any]) -> tuple[SpooledFile, ...]:
        files = tuple(SpooledFile.from_json(item) for item in message.get("files") or [])
        root = self.spec.spool_dir.resolve()
        for file in files:
            if not (root / file.path).resolve().is_relative_to(root):
                raise ProtocolError(f"spooled file outside the spool: {file.path!r}")
        return files

    async def _fetch(self, request_id: str, fetch_id: int, url: str) -> None:
        reply: dict[str, Any] = {"type": Msg.FETCHED, "fetch_id": fetch_id}
        if self._resolver is None:
            reply["error"] = "this runner cannot fetch http(s) URLs (no resolver configured)"
        elif request_id not in self._runs:  # fetches are made for a request in flight here
            reply["error"] = f"request {request_id[:128]!r} is not running on this runner"
        else:
            try:
                data = await self._resolver(request_id, url)
                relative = f"_fetched/{fetch_id}-{secrets.token_hex(8)}"
                target = self.spec.spool_dir / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                await asyncio.to_thread(target.write_bytes, data)
                reply["path"] = relative
            except Exception as exc:
                reply["error"] = str(exc) or type(exc).__name__
        await self._send(reply)

    async def _watch_heartbeats(self) -> None:
        timeout = self.spec.heartbeat_timeout
        assert timeout is not None
        try:
            await asyncio.shield(self._ready)
        except Exception:
            return  # never became ready; start() reports why
        while not self._closed.is_set():
            await asyncio.sleep(min(timeout, self.spec.heartbeat_interval))
            if self.alive and self.seconds_since_heartbeat() > timeout:
                self._log.warning("runner_heartbeats_stopped_runner_killed")
                self.kill("no heartbeat")
                return

    def _start_failure(self, code: int | None) -> Exception:
        """Why the runner never became ready. The app is broken when it said so (a
        ``fatal`` frame: import error, ``setup()`` raised) or exited by itself; a runner
        killed by a signal that it did not send itself (the OOM killer, ``kill -9``)
        says nothing about the app and may well start next time."""
        why = self._fatal or self._kill_reason or "\n".join(list(self.output_tail)[-5:])
        if self._fatal is None and self._kill_reason is None and code is not None and code < 0:
            return RunnerStartKilled(
                f"{self.spec.app} was killed by signal {-code} before it was ready: {why}"
            )
        return RunnerStartFailed(f"{self.spec.app} exited with code {code} before ready: {why}")

    async def _read_output(self) -> None:
        stderr = self._process.stderr
        assert stderr is not None
        while line := await stderr.readline():
            text = line.decode(errors="replace").rstrip()
            self.output_tail.append(text)
            self._log.info("runner_output", line=text)

    def _closed_down(self) -> None:
        code = self._process.returncode
        if not self._ready.done():
            self._ready.set_exception(self._start_failure(code))
            self._ready.exception()  # retrieved here: start() may have given up already
        for request_id in list(self._runs):
            self._fail(
                request_id,
                failure(
                    request_id, 503, "Runner disconnected", "runner_disconnected", retryable=True
                ),
            )
        if self._slots is not None:
            for _ in range(self._waiting):
                self._slots.release()  # wake submitters; they see the runner is gone
        if not self._stopping or code:
            self._log.warning("runner_exited", returncode=code, reason=self._kill_reason)
        self._closed.set()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _refused(request_id: str, detail: list[dict[str, Any]]) -> RequestRun:
    run = RequestRun(request_id)
    error = summarize(detail)
    run.finish(
        Outcome(
            request_id=request_id,
            status_code=422,
            body={"detail": detail},
            error=error,
            error_type="validation_error",
        )
    )
    return run


def _result_headers(message: Mapping[str, Any]) -> dict[str, str]:
    """The result headers an app may set: the units it bills, as text."""
    headers = message.get("headers")
    value = headers.get(UNITS_HEADER) if isinstance(headers, dict) else None
    return {UNITS_HEADER: value[:64]} if isinstance(value, str) else {}
