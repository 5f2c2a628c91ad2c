"""Runs an app's endpoints: validation, sync/async/streaming calls, cancellation, errors.

The runner process drives it with protocol frames; benchmarks and tests can drive it in
process. Everything it has to say leaves through ``emit`` as protocol-shaped messages
(``log``, ``progress``, ``partial``, ``result``, ``fetch``), which may be called from
worker threads.

Whatever goes wrong with one request (its input cannot be decoded, validated or described
in a 422; its output cannot be serialised or framed) is that request's answer, a 422 or a
500; the runtime goes on serving the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import itertools
import traceback
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from impasto.kit.clock import Clock
from impasto.kit.text import escaped
from impasto.runners.protocol import REQUEST_ID, FrameUndecodable, FrameUnencodable, Msg
from impasto.runners.spool import Spool
from impasto.sdk.app import App
from impasto.sdk.context import UNITS_HEADER, RequestContext, bind_request, unbind_request
from impasto.sdk.data_uri import decode_data_uri, is_data_uri
from impasto.sdk.endpoint import EndpointSpec
from impasto.sdk.errors import AppException, FetchError, RequestCancelled
from impasto.sdk.naming import normalize_path
from impasto.sdk.validation import InputInvalid, validate_input

Emit = Callable[[dict[str, Any]], None]
_END = object()
INTERNAL_ERROR = "Internal Server Error"


def error_type_for(status: int) -> str:
    if status == 499:
        return "client_cancelled"
    if status == 422:
        return "validation_error"
    if status == 404:
        return "not_found"
    if status < 500:
        return "bad_request"
    return "runner_server_error"


class _Sink:
    """Connects a request's context to the emitter and to the parent's file resolver."""

    def __init__(
        self, runtime: AppRuntime, loop: asyncio.AbstractEventLoop, request_id: str
    ) -> None:
        self._runtime = runtime
        self._loop = loop
        self._request_id = request_id

    def log(self, request_id: str, level: str, message: str) -> None:
        self._runtime.emit_log(request_id, level, message)

    def progress(self, request_id: str, fraction: float, message: str | None) -> None:
        text = None if message is None else str(escaped(message))
        self._runtime.emit(
            {"type": Msg.PROGRESS, "id": request_id, "fraction": fraction, "message": text}
        )

    def fetch(self, url: str) -> bytes:
        if is_data_uri(url):
            return decode_data_uri(url)[0]
        fetching = self._runtime.fetch(self._request_id, url)
        return asyncio.run_coroutine_threadsafe(fetching, self._loop).result()

    async def afetch(self, url: str) -> bytes:
        if is_data_uri(url):
            return decode_data_uri(url)[0]
        return await self._runtime.fetch(self._request_id, url)


class AppRuntime:
    def __init__(
        self,
        app: App,
        *,
        emit: Emit,
        spool_root: Path,
        clock: Clock,
        max_multiplexing: int | None = None,
    ) -> None:
        self.app = app
        self.emit = emit
        self.spool = Spool(spool_root)
        self._clock = clock
        limit = max_multiplexing or type(app).settings.max_multiplexing
        self._slots = asyncio.Semaphore(limit)
        # Sync endpoints run here; one thread per slot honours max_multiplexing.
        self._executor = ThreadPoolExecutor(max_workers=limit, thread_name_prefix="endpoint")
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._running: dict[str, tuple[RequestContext, EndpointSpec]] = {}
        self._fetches: dict[int, asyncio.Future[bytes]] = {}
        self._fetch_ids = itertools.count(1)

    # -- lifecycle ---------------------------------------------------------------------
    async def setup(self) -> None:
        await self._call_hook(self.app.setup)

    async def teardown(self) -> None:
        try:
            await self._call_hook(self.app.teardown)
        finally:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def _call_hook(self, hook: Callable[[], Any]) -> None:
        if inspect.iscoroutinefunction(hook):
            await hook()
        else:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, contextvars.copy_context().run, hook)

    @property
    def active(self) -> list[str]:
        return list(self._tasks)

    def start(self, message: Mapping[str, Any]) -> None:
        """Begin a ``request`` message; its frames follow through ``emit``."""
        request_id = str(message.get("id", ""))
        if not self._may_answer(request_id):
            return
        try:
            prepared = self._prepare(request_id, message)
        except Exception:
            self.emit_log(request_id, "error", traceback.format_exc().rstrip())
            self._result(request_id, 500, {"detail": INTERNAL_ERROR}, error=INTERNAL_ERROR)
            return
        if prepared is None:
            return
        ctx, spec, inp = prepared
        self._running[request_id] = (ctx, spec)
        task = asyncio.get_running_loop().create_task(self._serve(ctx, spec, inp))
        self._tasks[request_id] = task
        task.add_done_callback(lambda done: self._finished(request_id, done))

    def refuse_undecodable(self, frame: FrameUndecodable) -> None:
        """A ``request`` frame whose body could not be decoded: its input is the problem."""
        if frame.kind != Msg.REQUEST:
            self.emit_log(None, "error", f"dropped an undecodable frame: {frame}")
            return
        request_id = frame.request_id or ""
        if not self._may_answer(request_id):
            return
        msg = f"Input could not be decoded: {frame}"
        detail = [{"loc": ["body"], "msg": msg, "type": "json_invalid"}]
        self._result(request_id, 422, {"detail": detail}, error=msg)

    def _may_answer(self, request_id: str) -> bool:
        if not REQUEST_ID.fullmatch(request_id) or request_id in self._tasks:
            self.emit_log(None, "error", f"refused a request with a bad or busy id {request_id!r}")
            return False
        return True

    def _finished(self, request_id: str, task: asyncio.Task[None]) -> None:
        self._tasks.pop(request_id, None)
        running = self._running.pop(request_id, None)
        if task.cancelled() and running is not None and running[0].cancelled:
            # Cancelled before it started: the coroutine never ran to answer for itself.
            self._result(
                request_id, 499, {"detail": "Request cancelled"}, error="Request cancelled"
            )

    def cancel(self, request_id: str) -> None:
        running = self._running.get(request_id)
        task = self._tasks.get(request_id)
        if running is not None:
            running[0].mark_cancelled()
        # An async endpoint stops at its next await; a sync one sees ``ctx.cancelled``.
        if task is not None and (running is None or running[1].is_async):
            task.cancel()

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    def cancel_all(self) -> None:
        for request_id in list(self._tasks):
            self.cancel(request_id)

    # -- files -------------------------------------------------------------------------
    async def fetch(self, request_id: str, url: str) -> bytes:
        """Ask the parent for an http(s) input of ``request_id`` (it reads it as that
        request's owner) and wait for the bytes."""
        if not url.lower().startswith(("http://", "https://")):
            raise FetchError(f"cannot fetch {url[:60]!r}: only http, https and data URLs")
        fetch_id = next(self._fetch_ids)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._fetches[fetch_id] = future
        try:
            self.emit({"type": Msg.FETCH, "id": request_id, "fetch_id": fetch_id, "url": url})
        except FrameUnencodable:
            self._fetches.pop(fetch_id, None)
            raise FetchError(f"cannot fetch {str(escaped(url))[:60]!r}: not a valid URL") from None
        try:
            return await future
        finally:
            self._fetches.pop(fetch_id, None)

    def fetched(self, message: Mapping[str, Any]) -> None:
        future = self._fetches.get(int(message.get("fetch_id", -1)))
        if future is None or future.done():
            return
        if message.get("error"):
            future.set_exception(FetchError(str(message["error"])))
            return
        path = (self.spool.root / str(message.get("path", ""))).resolve()
        if not path.is_relative_to(self.spool.root.resolve()) or not path.is_file():
            future.set_exception(FetchError("the fetched file is missing"))
            return
        data = path.read_bytes()
        path.unlink(missing_ok=True)
        future.set_result(data)

    # -- requests ----------------------------------------------------------------------
    def emit_log(self, request_id: str | None, level: str, message: str) -> None:
        self.emit(
            {
                "type": Msg.LOG,
                "id": request_id,
                "level": level,
                "message": escaped(message),  # a lone surrogate could not be framed
                "timestamp": self._clock.now().isoformat(),
            }
        )

    def _result(
        self,
        request_id: str,
        status: int,
        body: Any,
        *,
        error: str | None = None,
        files: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        message = {
            "type": Msg.RESULT,
            "id": request_id,
            "status": status,
            "body": body,
            "error": None if error is None else escaped(error),
            "error_type": error_type_for(status) if status >= 400 else None,
            "files": files or [],
        }
        if headers:
            message["headers"] = headers
        try:
            self.emit(message)
        except FrameUnencodable as exc:
            if status == 500 and body == {"detail": INTERNAL_ERROR}:
                raise
            # NaN, a lone surrogate, nesting too deep...: the app's answer is not JSON.
            for spooled in files or []:  # nobody will collect them now
                (self.spool.root / str(spooled.get("path", ""))).unlink(missing_ok=True)
            self.emit_log(request_id, "error", f"the answer could not be sent: {exc}")
            self._result(request_id, 500, {"detail": INTERNAL_ERROR}, error=INTERNAL_ERROR)

    def _prepare(
        self, request_id: str, message: Mapping[str, Any]
    ) -> tuple[RequestContext, EndpointSpec, BaseModel] | None:
        """Route and validate; answers 404/422 itself and returns ``None`` then."""
        try:
            path = normalize_path(str(message.get("path", "/")))
        except ValueError:
            path = str(message.get("path"))
        spec = type(self.app).endpoint_for(path)
        if spec is None:
            detail = f"Path {path} not found"
            self._result(request_id, 404, {"detail": detail}, error=detail)
            return None
        payload = message.get("payload")
        if payload is None and not spec.takes_input:
            payload = {}  # an endpoint without input may be called without a body
        try:
            inp = validate_input(spec.input_model, payload)
        except InputInvalid as exc:
            self._result(request_id, 422, exc.body(), error=str(exc))
            return None
        headers = message.get("headers") or {}
        ctx = RequestContext(
            request_id=request_id,
            endpoint=path,
            attempt=int(message.get("attempt", 1)),
            headers={str(k): str(v) for k, v in dict(headers).items()},
            sink=_Sink(self, asyncio.get_running_loop(), request_id),
        )
        return ctx, spec, inp

    async def _serve(self, ctx: RequestContext, spec: EndpointSpec, inp: BaseModel) -> None:
        request_id = ctx.request_id
        token = bind_request(ctx)
        try:
            async with self._slots:
                await self._run(request_id, spec, inp, ctx)
        except (RequestCancelled, asyncio.CancelledError):
            if not ctx.cancelled:
                raise  # the runner is shutting down, not a user cancel
            self._result(
                request_id, 499, {"detail": "Request cancelled"}, error="Request cancelled"
            )
        except AppException as exc:
            self._result(request_id, exc.status_code, exc.body(), error=exc.message)
        except FetchError as exc:
            msg = f"Could not fetch an input file: {exc}"
            errors = [{"loc": ["body"], "msg": msg, "type": "file_download_error"}]
            self._result(request_id, 422, {"detail": errors}, error=msg)
        except Exception:
            self.emit_log(request_id, "error", traceback.format_exc().rstrip())
            self._result(request_id, 500, {"detail": INTERNAL_ERROR}, error=INTERNAL_ERROR)
        finally:
            unbind_request(token)

    async def _run(
        self, request_id: str, spec: EndpointSpec, inp: BaseModel, ctx: RequestContext
    ) -> None:
        method = getattr(self.app, spec.attribute)
        args = (inp,) if spec.takes_input else ()
        if spec.streaming:
            last: dict[str, Any] | None = None
            files: list[dict[str, Any]] = []
            async with contextlib.aclosing(self._iterate(spec, method, args)) as items:
                async for item in items:
                    ctx.raise_if_cancelled()
                    last, files = self._serialise(request_id, spec, item)
                    self.emit(
                        {"type": Msg.PARTIAL, "id": request_id, "output": last, "files": files}
                    )
            ctx.raise_if_cancelled()
            self._result(request_id, 200, last, files=files, headers=_units_header(ctx))
            return
        if spec.is_async:
            value = await method(*args)
        else:
            loop = asyncio.get_running_loop()
            call = contextvars.copy_context().run
            value = await loop.run_in_executor(self._executor, call, method, *args)
        ctx.raise_if_cancelled()
        body, files = self._serialise(request_id, spec, value)
        self._result(request_id, 200, body, files=files, headers=_units_header(ctx))

    async def _iterate(
        self, spec: EndpointSpec, method: Callable[..., Any], args: tuple[Any, ...]
    ) -> AsyncGenerator[Any, None]:
        if spec.is_async:
            async with contextlib.aclosing(method(*args)) as generator:
                async for item in generator:
                    yield item
            return
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        generator = context.run(method, *args)
        try:
            while True:
                step = loop.run_in_executor(self._executor, context.run, _advance, generator)
                item = await step
                if item is _END:
                    return
                yield item
        finally:
            await loop.run_in_executor(self._executor, context.run, generator.close)

    def _serialise(
        self, request_id: str, spec: EndpointSpec, value: Any
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        try:
            output = (
                value
                if isinstance(value, spec.output_model)
                else spec.output_model.model_validate(value)
            )
        except ValidationError as exc:
            raise TypeError(
                f"{spec.attribute} returned output that does not fit "
                f"{spec.output_model.__name__}: {exc}"
            ) from None
        files = [spooled.to_json() for spooled in self.spool.store(request_id, output)]
        return output.model_dump(mode="json"), files


def _advance(generator: Iterator[Any]) -> Any:
    return next(generator, _END)


def _units_header(ctx: RequestContext) -> dict[str, str] | None:
    """fal's result header for what the app said the request bills."""
    if ctx.billable_units is None:
        return None
    return {UNITS_HEADER: repr(ctx.billable_units)}
