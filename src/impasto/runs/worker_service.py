"""The platform side of the worker API: what a remote worker may do, on its own leases.

Each call is the embedded worker's ``LocalLink`` acting under the caller's worker id, so
a remote worker and the in-process one go through exactly the same lease checks in
``LeaseService``. Two things only exist here: a claim that waits for work (long poll),
and output files that arrive as a request body rather than a path on this machine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from impasto.files.acl import parse_lifecycle
from impasto.files.core import FilesCore
from impasto.files.fetch import UrlFetcher
from impasto.files.service import FileService
from impasto.files.urls import file_url
from impasto.kit.db import Database
from impasto.kit.errors import Conflict
from impasto.kit.threads import in_session
from impasto.runs.leases import Claim, LeaseService
from impasto.runs.notifier import WORK_TOPIC
from impasto.runs.service import RunDeps
from impasto.workers.local_link import LocalLink

RECHECK_SECONDS = 1.0  # waits are bounded: work queued by another server is seen anyway


class LeaseLost(Conflict):
    def __init__(self) -> None:
        super().__init__("This worker does not hold that request attempt (any more)")


class WorkerGateway:
    def __init__(
        self, database: Database, deps: RunDeps, files: FilesCore, fetcher: UrlFetcher
    ) -> None:
        self._database = database
        self._deps = deps
        self._files = files
        self._fetcher = fetcher  # unused here: remote workers fetch their inputs themselves

    def link(self, worker_id: str) -> LocalLink:
        return LocalLink(worker_id, self._database, self._deps, self._files, self._fetcher)

    async def claim(
        self,
        worker_id: str,
        wants: Sequence[tuple[str, int]],
        wait: float,
        gone: Callable[[], Awaitable[bool]] | None = None,
    ) -> list[Claim]:
        """Claim for each app up to its limit; with nothing to claim, wait up to ``wait``
        seconds for new work (subscribed before looking, so none is missed).

        ``gone()`` is asked before each new look: a worker that died mid-poll must not be
        handed work it would hold until its lease runs out (costing an attempt)."""
        link = self.link(worker_id)
        wanted = [(app_id, limit) for app_id, limit in wants if limit > 0]
        deadline = self._deps.clock.monotonic() + wait
        with self._deps.notifier.subscribe(WORK_TOPIC) as subscription:
            while True:
                claims: list[Claim] = []
                for app_id, limit in wanted:
                    claims += await link.claim(app_id, limit)
                left = deadline - self._deps.clock.monotonic()
                if claims or not wanted or left <= 0:
                    return claims
                await subscription.wait(min(left, RECHECK_SECONDS))
                if gone is not None and await gone():
                    return []

    async def store_output(
        self,
        worker_id: str,
        request_id: str,
        attempt: int,
        body: AsyncIterator[bytes],
        *,
        content_type: str | None,
        file_name: str,
        size: int | None,
    ) -> str:
        """Store an output file for the request's owner; its URL on the request's base."""

        claim = await in_session(
            self._database,
            lambda s: LeaseService(s, self._deps).held_claim(worker_id, request_id, attempt),
            write=False,
        )
        if claim is None:
            raise LeaseLost()
        lifecycle = parse_lifecycle(claim.headers.get("x-fal-object-lifecycle-preference"))
        view = await FileService(self._files).upload(
            claim.owner,
            body,
            content_type=content_type,
            file_name=file_name,
            lifecycle=lifecycle,
            expected_length=size,
        )
        return file_url(claim.base_url, view.file_id, view.file_name)
