"""What a worker agent needs from the platform, whether in-process or over HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from impasto.runners.spool import SpooledFile
from impasto.runs.deployments.activity import Sample
from impasto.runs.queue.completion import Result
from impasto.runs.queue.leases import Beat, Claim
from impasto.runs.workers.local_link import AppSpec


class WorkerLink(Protocol):
    async def apps(self) -> list[AppSpec]: ...

    async def app_activity(
        self, events: Sequence[tuple[str, str, dict[str, str]]], samples: Sequence[Sample]
    ) -> None:
        """Runner lifecycle events ``(app_id, category, payload)`` and runner counts."""
        ...

    async def fetch_code(self, app_id: str, revision_id: str) -> bytes:
        """The zip archive of an app revision's code (``impasto.workers.code``)."""
        ...

    async def claim(self, app_id: str, limit: int) -> list[Claim]: ...

    async def wait_for_work(self, seconds: float) -> None:
        """Return when new work may be queued, or after ``seconds``."""
        ...

    async def wait_for_cancel(self, seconds: float) -> None:
        """Return when a request in progress may have been cancelled, or after ``seconds``."""
        ...

    async def heartbeat(self, request_ids: Sequence[str]) -> Beat: ...

    async def report(
        self, request_id: str, attempt: int, events: Sequence[tuple[str, Any]]
    ) -> bool: ...

    async def finish(self, request_id: str, attempt: int, result: Result) -> bool: ...

    async def release(self, request_id: str, attempt: int, result: Result) -> bool: ...

    async def store_output(self, claim: Claim, spooled: SpooledFile, path: Path) -> str:
        """Store a spooled output file for the request's owner; returns its URL."""
        ...

    async def fetch_input(self, claim: Claim, url: str) -> bytes:
        """An input file the app running ``claim`` asked for (by http(s) URL), fetched
        safely; this server's own file URLs are read as ``claim.owner``, so an owner's
        private files are inputs to their own requests (and to nobody else's)."""
        ...

    async def set_loaded(self, app_id: str, loaded: bool) -> None: ...

    def wake(self) -> None:
        """A slot freed up: end the current ``wait_for_work`` early."""
        ...

    def close(self) -> None:
        """Release what the link holds; the agent has stopped."""
        ...
