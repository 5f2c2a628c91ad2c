"""``HttpLink``: a remote worker's way to the queue, over the API's ``/worker/v1``.

Calls are retried with backoff while the server is unreachable or answers 5xx/429 (a
restart, a rolling deploy), up to ``retry_seconds``. Waiting for work is a long-poll
claim: the server answers as soon as something is claimable; what it claims is kept here
and handed out by the next ``claim`` of that app. The key must be a WORKER key (``impasto
workers token create``); tenant keys get 403 on every call. Input files: the server's own
file URLs through ``/worker/v1/requests/{id}/input``, which reads them as the request's
owner would (their private files included) while this worker holds the attempt; anything
else is fetched here, never by the server on the worker's behalf, through the SSRF-safe
``UrlFetcher``.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from impasto.files.urls import parse_file_url, same_origin
from impasto.kit.clock import Clock
from impasto.kit.egress.fetch import UrlFetcher
from impasto.kit.logging import get_logger
from impasto.runners.spool import SpooledFile
from impasto.runs.deployments.activity import Sample
from impasto.runs.queue.completion import Result
from impasto.runs.queue.leases import Beat, Claim
from impasto.runs.workers.local_link import AppSpec
from impasto.runs.workers.schemas import result_json

logger = get_logger(__name__)
READ_BLOCK = 1 << 20
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF = 5.0
NOT_A_WORKER_KEY = (
    "this key is not a worker key: create one with `impasto workers token create` on the server"
)


class WorkerApiError(Exception):
    """The API refused a worker call (a 4xx, or a 5xx after every retry)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(f"HTTP {status_code}: {message}")
        self.status_code = status_code


class HttpLink:
    def __init__(
        self,
        api: str,
        key: str,
        worker_id: str,
        *,
        fetcher: UrlFetcher,
        clock: Clock,
        client: httpx.AsyncClient | None = None,
        retry_seconds: float = 60.0,
    ) -> None:
        self.worker_id = worker_id
        self._api = api.rstrip("/")
        self._auth = {"Authorization": f"Key {key}"}
        self._fetcher = fetcher
        self._clock = clock
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(60.0, connect=10.0), follow_redirects=False
        )
        self._retry_seconds = retry_seconds
        self._own_bases: set[str] = {self._api}
        self._wants: dict[str, int] = {}  # app id -> free slots after its last claim
        self._claimed: dict[str, list[Claim]] = defaultdict(list)  # from long polls
        self._woken = asyncio.Event()

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- the API --------------------------------------------------------------------------

    async def info(self) -> dict[str, Any]:
        answer: dict[str, Any] = await self._call("GET", "/info")
        return answer

    async def apps(self) -> list[AppSpec]:
        answer = await self._call("GET", "/apps", params={"worker_id": self.worker_id})
        return [AppSpec.from_json(item) for item in answer["apps"]]

    async def app_activity(
        self, events: Sequence[tuple[str, str, dict[str, str]]], samples: Sequence[Sample]
    ) -> None:
        body = {
            "worker_id": self.worker_id,
            "events": [
                {"app_id": app_id, "category": category, "payload": payload}
                for app_id, category, payload in events
            ],
            "samples": [sample.__dict__ for sample in samples],
        }
        await self._call("POST", "/apps/activity", json=body)

    async def fetch_code(self, app_id: str, revision_id: str) -> bytes:
        params = {"worker_id": self.worker_id, "app_id": app_id, "revision_id": revision_id}
        response = await self._send("GET", "/code", params=params)
        return response.content

    async def claim(self, app_id: str, limit: int) -> list[Claim]:
        held = self._claimed.pop(app_id, [])
        taken, rest = held[:limit], held[limit:]
        if rest:  # fewer free slots than when the long poll claimed: keep the rest
            self._claimed[app_id] = rest
        if limit > len(taken):
            taken += await self._claim({app_id: limit - len(taken)}, 0.0)
        self._wants[app_id] = limit - len(taken)
        return taken

    async def wait_for_work(self, seconds: float) -> None:
        """Long-poll a claim for every app with free slots; return when it got something."""
        wants = {app_id: n for app_id, n in self._wants.items() if n > 0}
        try:
            if not wants:
                await self._sleep_unless_woken(seconds)
                return
            for item in await self._claim(wants, seconds):
                self._claimed[item.app_id].append(item)
                self._wants[item.app_id] -= 1
        except Exception:  # the agent's claim loop must keep going through outages
            logger.warning("worker_long_poll_failed", exc_info=True)
            await self._sleep_unless_woken(min(seconds, 1.0))

    async def wait_for_cancel(self, seconds: float) -> None:
        await asyncio.sleep(seconds)  # cancellations come back with the heartbeat

    def close(self) -> None:
        """Nothing held per agent; ``aclose()`` closes the HTTP client."""

    def wake(self) -> None:
        """A slot freed up (called by the agent): stop a local wait for free slots."""
        self._woken.set()

    async def heartbeat(self, request_ids: Sequence[str]) -> Beat:
        body = {"worker_id": self.worker_id, "request_ids": list(request_ids)}
        answer = await self._call("POST", "/heartbeat", json=body)
        return Beat(cancel=list(answer["cancel"]), lost=list(answer["lost"]))

    async def report(
        self, request_id: str, attempt: int, events: Sequence[tuple[str, Any]]
    ) -> bool:
        body = {
            "worker_id": self.worker_id,
            "attempt": attempt,
            "events": [{"kind": kind, "data": data} for kind, data in events],
        }
        return await self._accepted(f"/requests/{request_id}/events", body)

    async def finish(self, request_id: str, attempt: int, result: Result) -> bool:
        body = {"worker_id": self.worker_id, "attempt": attempt, "result": result_json(result)}
        return await self._accepted(f"/requests/{request_id}/finish", body)

    async def release(self, request_id: str, attempt: int, result: Result) -> bool:
        body = {"worker_id": self.worker_id, "attempt": attempt, "result": result_json(result)}
        return await self._accepted(f"/requests/{request_id}/release", body)

    async def store_output(self, claim: Claim, spooled: SpooledFile, path: Path) -> str:
        params = {
            "worker_id": self.worker_id,
            "attempt": str(claim.attempt),
            "file_name": spooled.file_name or path.name,
        }
        headers = {
            "Content-Type": spooled.content_type or "application/octet-stream",
            "Content-Length": str(spooled.size),
        }
        answer = await self._call(
            "PUT",
            f"/requests/{claim.request_id}/files",
            params=params,
            headers=headers,
            content=lambda: _read_file(path),
        )
        return str(answer["url"])

    async def fetch_input(self, claim: Claim, url: str) -> bytes:
        parsed = parse_file_url(url)
        bases = {*self._own_bases, claim.base_url.rstrip("/")}
        if parsed is not None and any(same_origin(parsed.origin, b) for b in bases):
            params = {"worker_id": self.worker_id, "attempt": str(claim.attempt), "url": url}
            path = f"/requests/{claim.request_id}/input"
            response = await self._send("GET", path, params=params)
            return response.content
        async with self._fetcher.open(url) as body:
            return b"".join([chunk async for chunk in body.aiter_bytes()])

    async def set_loaded(self, app_id: str, loaded: bool) -> None:
        body = {"worker_id": self.worker_id, "app_id": app_id, "loaded": loaded}
        await self._call("POST", "/loaded", json=body)

    # -- plumbing -------------------------------------------------------------------------

    async def _claim(self, wants: dict[str, int], wait: float) -> list[Claim]:
        body = {
            "worker_id": self.worker_id,
            "apps": [{"app_id": app_id, "limit": n} for app_id, n in wants.items()],
            "wait": wait,
        }
        answer = await self._call("POST", "/claim", json=body, read_seconds=wait + 30.0)
        claims = [Claim(**item) for item in answer["claims"]]
        # Output URLs name the request's base: file URLs there are this server's too.
        self._own_bases.update(item.base_url.rstrip("/") for item in claims)
        return claims

    async def _accepted(self, path: str, body: dict[str, Any]) -> bool:
        answer = await self._call("POST", path, json=body)
        return bool(answer["accepted"])

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        content: Any = None,
        read_seconds: float | None = None,
    ) -> Any:
        response = await self._send(
            method,
            path,
            json=json,
            params=params,
            headers=headers,
            content=content,
            read_seconds=read_seconds,
        )
        return response.json()

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        content: Any = None,
        read_seconds: float | None = None,
    ) -> httpx.Response:
        url = f"{self._api}/worker/v1{path}"
        deadline = self._clock.monotonic() + self._retry_seconds
        delay = 0.2
        while True:
            retry_after: float | None = None
            try:
                response = await self._client.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    headers={**self._auth, **(headers or {})},
                    content=content() if content is not None else None,
                    timeout=(
                        httpx.Timeout(read_seconds, connect=10.0)
                        if read_seconds is not None
                        else httpx.USE_CLIENT_DEFAULT
                    ),
                )
            except httpx.TransportError as exc:
                failure = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 400:
                    return response
                failure = _detail(response)
                if response.status_code == 403 and path == "/info":
                    # Nothing but the key's scope refuses /info: say what to do about it.
                    failure = f"{NOT_A_WORKER_KEY} ({failure})"
                if response.status_code not in RETRY_STATUSES:
                    raise WorkerApiError(response.status_code, failure)
                retry_after = _retry_after(response)
            if self._clock.monotonic() + delay > deadline:
                raise WorkerApiError(503, f"{method} {path} kept failing: {failure}")
            logger.warning("worker_api_retry", path=path, error=failure, delay=delay)
            await asyncio.sleep(retry_after if retry_after is not None else delay)
            delay = min(MAX_BACKOFF, delay * 2) * random.uniform(0.8, 1.2)  # noqa: S311

    async def _sleep_unless_woken(self, seconds: float) -> None:
        # Not cleared before the round: a slot freed while claiming still cuts this short.
        try:
            async with asyncio.timeout(seconds):
                await self._woken.wait()
        except TimeoutError:
            return
        self._woken.clear()


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail) if detail is not None else f"HTTP {response.status_code}"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return min(MAX_BACKOFF, max(0.0, float(value)))
    except ValueError:
        return None


async def _read_file(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while block := await asyncio.to_thread(handle.read, READ_BLOCK):
            yield block
