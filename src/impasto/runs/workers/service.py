"""The platform side of the worker API: what a remote worker may do, on its own leases.

Each call is the embedded worker's ``LocalLink`` acting under a lease owner the server
derives from the credential, ``<key_id>/<worker_id>``: the worker id a caller sends only
tells its own processes apart, so one WORKER key can never name (or touch) a lease held
under another key, and a remote worker and the in-process one go through exactly the same
lease checks in ``LeaseService``. A key bound to apps sees and serves only those.

Three things only exist here: a claim that waits for work (long poll), output files that
arrive as a request body rather than a path on this machine, and input files read for the
request's owner (the worker holds no owner's credential).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from impasto.files.acl import parse_lifecycle
from impasto.files.core import FilesCore, FileView
from impasto.files.service import FileService
from impasto.files.urls import file_url
from impasto.kit.db import Database
from impasto.kit.egress.fetch import UrlFetcher
from impasto.kit.errors import Conflict, NotFound, PermissionDenied
from impasto.kit.threads import in_session
from impasto.runs.deployments.activity import Sample
from impasto.runs.queue.completion import Result
from impasto.runs.queue.leases import Beat, Claim, LeaseService
from impasto.runs.queue.notifier import WORK_TOPIC
from impasto.runs.queue.service import RunDeps
from impasto.runs.workers.local_link import AppSpec, LocalLink

RECHECK_SECONDS = 1.0  # waits are bounded: work queued by another server is seen anyway


class LeaseLost(Conflict):
    def __init__(self) -> None:
        super().__init__("This worker does not hold that request attempt (any more)")


class AppNotServed(PermissionDenied):
    def __init__(self, app_id: str) -> None:
        super().__init__(f"This worker key is not bound to the app {app_id!r}")


@dataclass(frozen=True, slots=True)
class WorkerKey:
    """The WORKER key a call came with: whose leases it holds, which apps it serves."""

    key_id: str
    apps: frozenset[str] | None  # None: every app

    def lease_owner(self, worker_id: str) -> str:
        # Neither key ids nor worker ids contain "/" (nor do the embedded workers' ids),
        # so no worker id can spell a lease held under another key.
        return f"{self.key_id}/{worker_id}"

    def serves(self, app_id: str) -> bool:
        return self.apps is None or app_id in self.apps

    def check(self, app_ids: Iterable[str]) -> None:
        for app_id in app_ids:
            if not self.serves(app_id):
                raise AppNotServed(app_id)


class WorkerService:
    def __init__(
        self,
        database: Database,
        deps: RunDeps,
        files: FilesCore,
        fetcher: UrlFetcher,
        key: WorkerKey,
    ) -> None:
        self._database = database
        self._deps = deps
        self._files = files
        self._fetcher = fetcher  # unused here: remote workers fetch foreign URLs themselves
        self._key = key

    def _link(self, worker_id: str) -> LocalLink:
        owner = self._key.lease_owner(worker_id)
        return LocalLink(owner, self._database, self._deps, self._files, self._fetcher)

    async def apps(self, worker_id: str) -> list[AppSpec]:
        """The deployed apps this key may serve (never a word about the others)."""
        specs = await self._link(worker_id).apps()
        return [spec for spec in specs if self._key.serves(spec.app_id)]

    async def app_activity(
        self,
        worker_id: str,
        events: Sequence[tuple[str, str, dict[str, str]]],
        samples: Sequence[Sample],
    ) -> None:
        """Runner events and counts, for apps this key serves."""
        self._key.check([app_id for app_id, _, _ in events])
        self._key.check([sample.app_id for sample in samples])
        await self._link(worker_id).app_activity(events, samples)

    async def fetch_code(self, worker_id: str, app_id: str, revision_id: str) -> bytes:
        """A revision's code archive, for an app this key serves."""
        self._key.check([app_id])
        return await self._link(worker_id).fetch_code(app_id, revision_id)

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
        self._key.check(app_id for app_id, _ in wants)  # before anything is claimed
        link = self._link(worker_id)
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

    async def heartbeat(self, worker_id: str, request_ids: Sequence[str]) -> Beat:
        return await self._link(worker_id).heartbeat(request_ids)

    async def report(
        self, worker_id: str, request_id: str, attempt: int, events: Sequence[tuple[str, Any]]
    ) -> bool:
        return await self._link(worker_id).report(request_id, attempt, events)

    async def finish(self, worker_id: str, request_id: str, attempt: int, result: Result) -> bool:
        return await self._link(worker_id).finish(request_id, attempt, result)

    async def release(self, worker_id: str, request_id: str, attempt: int, result: Result) -> bool:
        return await self._link(worker_id).release(request_id, attempt, result)

    async def set_loaded(self, worker_id: str, app_id: str, loaded: bool) -> None:
        self._key.check([app_id])
        await self._link(worker_id).set_loaded(app_id, loaded)

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
        claim = await self._held(worker_id, request_id, attempt)
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

    async def open_input(
        self, worker_id: str, request_id: str, attempt: int, url: str, bases: Sequence[str]
    ) -> FileView:
        """A file of this server named as an input, read as the request's owner would read
        it with their own key (their private files included, nobody else's).

        Anything the owner may not read is a 404, whether hidden, forbidden or missing:
        the worker learns nothing about files the owner could not open."""
        claim = await self._held(worker_id, request_id, attempt)
        service = FileService(self._files)
        try:
            view = await service.resolve_own(
                url, caller=claim.owner, bases=[claim.base_url, *bases]
            )
        except PermissionDenied as exc:
            raise NotFound("File not found") from exc
        if view is None:
            raise NotFound("Not a file URL of this server")
        return view

    async def _held(self, worker_id: str, request_id: str, attempt: int) -> Claim:
        owner = self._key.lease_owner(worker_id)
        claim = await in_session(
            self._database,
            lambda s: LeaseService(s, self._deps).held_claim(owner, request_id, attempt),
            write=False,
        )
        if claim is None:
            raise LeaseLost()
        return claim
