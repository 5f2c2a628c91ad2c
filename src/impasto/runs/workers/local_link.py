"""``LocalLink``: the embedded worker's way to the queue, straight to the database.

Every call is one short transaction in a worker thread (the database layer is sync);
wake-ups come from the in-process notifier instead of polling. The worker API serves
remote workers through it too (``service.py``), which is why it lives on this side of the
worker link (``impasto.workers.link``), with the ``AppSpec`` both sides speak.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from impasto.catalog.service import CatalogService
from impasto.files.acl import parse_lifecycle
from impasto.files.core import FilesCore
from impasto.files.service import FileService
from impasto.files.urls import file_url
from impasto.kit.db import Database
from impasto.kit.egress.fetch import UrlFetcher
from impasto.kit.errors import NotFound
from impasto.kit.threads import in_session
from impasto.models import AppCode, AppRevision
from impasto.runners.spool import SpooledFile
from impasto.runs.deployments.activity import AppActivity, Sample
from impasto.runs.deployments.service import (
    DeploymentService,
    endpoint_ids_of,
    live_revisions,
)
from impasto.runs.queue.completion import Result
from impasto.runs.queue.leases import Beat, Claim, LeaseService
from impasto.runs.queue.notifier import CANCEL_TOPIC, WORK_TOPIC, Subscription
from impasto.runs.queue.repository import RunRepository
from impasto.runs.queue.service import RunDeps

T = TypeVar("T")
READ_BLOCK = 1 << 20


@dataclass(frozen=True)
class AppSpec:
    """A deployed app as a worker sees it."""

    app_id: str
    import_path: str
    settings: dict[str, Any]
    endpoint_ids: list[str]
    env: dict[str, str] = field(default_factory=dict)
    # When it was last deployed: a new value (a redeploy) recycles the app's runners, so
    # that they load its new code.
    version: str = ""
    # An app deployed as code: its live revision, the archive's hash and what it needs
    # installed (``impasto.workers.code``); empty for an app of this environment.
    revision_id: str = ""
    code_sha256: str = ""
    requirements: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AppSpec:
        return cls(
            app_id=str(data["app_id"]),
            import_path=str(data["import_path"]),
            settings=dict(data["settings"]),
            endpoint_ids=[str(item) for item in data["endpoint_ids"]],
            env={str(k): str(v) for k, v in dict(data.get("env") or {}).items()},
            version=str(data.get("version") or ""),
            revision_id=str(data.get("revision_id") or ""),
            code_sha256=str(data.get("code_sha256") or ""),
            requirements=[str(line) for line in data.get("requirements") or ()],
        )


class LocalLink:
    def __init__(
        self,
        worker_id: str,
        database: Database,
        deps: RunDeps,
        files: FilesCore,
        fetcher: UrlFetcher,
    ) -> None:
        self.worker_id = worker_id
        self._database = database
        self._deps = deps
        self._files = files
        self._fetcher = fetcher
        self._subscriptions = contextlib.ExitStack()
        self._open: dict[str, Subscription] = {}

    async def _db(self, work: Callable[[Session], T], *, write: bool = True) -> T:
        return await in_session(self._database, work, write=write)

    async def apps(self) -> list[AppSpec]:
        def work(session: Session) -> list[AppSpec]:
            registry = DeploymentService(session, self._deps.clock, operator=self._deps.operator)
            apps = registry.list()
            revisions = live_revisions(session, apps)
            specs: list[AppSpec] = []
            for app in apps:
                revision = revisions.get(app.revision_id or "")
                specs.append(
                    AppSpec(
                        app_id=app.app_id,
                        import_path=app.import_path,
                        settings=dict(app.manifest.get("settings") or {}),
                        endpoint_ids=endpoint_ids_of(app),
                        env=dict(app.env or {}),
                        version=app.updated_at.isoformat(),
                        revision_id=revision.revision_id if revision else "",
                        code_sha256=revision.code_sha256 if revision else "",
                        requirements=list(revision.requirements) if revision else [],
                    )
                )
            return specs

        return await self._db(work, write=False)

    async def claim(self, app_id: str, limit: int) -> list[Claim]:
        # A read first: most rounds find nothing, and reads do not queue for the writer.
        if not await self._db(lambda s: RunRepository(s).has_queued(app_id), write=False):
            return []
        return await self._db(lambda s: self._leases(s).claim(self.worker_id, app_id, limit))

    async def wait_for_work(self, seconds: float) -> None:
        await self._subscription(WORK_TOPIC).wait(seconds)

    async def wait_for_cancel(self, seconds: float) -> None:
        await self._subscription(CANCEL_TOPIC).wait(seconds)

    def wake(self) -> None:
        self._deps.notifier.notify(WORK_TOPIC)

    def close(self) -> None:
        self._subscriptions.close()

    def _subscription(self, topic: str) -> Subscription:
        # Held for the agent's life: a wake-up sent while the agent is busy is kept for
        # its next wait instead of being lost.
        found = self._open.get(topic)
        if found is None:
            found = self._open[topic] = self._subscriptions.enter_context(
                self._deps.notifier.subscribe(topic)
            )
        return found

    async def heartbeat(self, request_ids: Sequence[str]) -> Beat:
        ids = list(request_ids)
        return await self._db(lambda s: self._leases(s).heartbeat(self.worker_id, ids))

    async def report(
        self, request_id: str, attempt: int, events: Sequence[tuple[str, Any]]
    ) -> bool:
        items = list(events)
        return await self._db(
            lambda s: self._leases(s).report(self.worker_id, request_id, attempt, items)
        )

    async def finish(self, request_id: str, attempt: int, result: Result) -> bool:
        return await self._db(
            lambda s: self._leases(s).finish(self.worker_id, request_id, attempt, result)
        )

    async def release(self, request_id: str, attempt: int, result: Result) -> bool:
        return await self._db(
            lambda s: self._leases(s).release(self.worker_id, request_id, attempt, result)
        )

    async def store_output(self, claim: Claim, spooled: SpooledFile, path: Path) -> str:
        lifecycle = parse_lifecycle(claim.headers.get("x-fal-object-lifecycle-preference"))
        view = await FileService(self._files).upload(
            claim.owner,
            _read_file(path),
            content_type=spooled.content_type,
            file_name=spooled.file_name,
            lifecycle=lifecycle,
            expected_length=spooled.size,
        )
        return file_url(claim.base_url, view.file_id, view.file_name)

    async def fetch_input(self, claim: Claim, url: str) -> bytes:
        # The request's base is this server too: its outputs' URLs were built on it (as
        # the next node of a workflow receives them). Read as the owner, under the ACLs.
        async with self._fetcher.open(url, reader=claim.owner, origins=[claim.base_url]) as body:
            return b"".join([chunk async for chunk in body.aiter_bytes()])

    async def app_activity(
        self, events: Sequence[tuple[str, str, dict[str, str]]], samples: Sequence[Sample]
    ) -> None:
        """Runner events ``(app_id, category, payload)`` and runner counts, for apps that
        still exist (one removed meanwhile is skipped)."""

        def work(session: Session) -> None:
            wanted = {app_id for app_id, _, _ in events} | {s.app_id for s in samples}
            known = DeploymentService(
                session, self._deps.clock, operator=self._deps.operator
            ).repository.existing(wanted)
            activity = AppActivity(session, self._deps.clock, self._deps.ids)
            for app_id, category, payload in events:
                if app_id in known:
                    activity.record(app_id, category, payload)
            activity.add_samples(self.worker_id, [s for s in samples if s.app_id in known])

        await self._db(work)

    async def fetch_code(self, app_id: str, revision_id: str) -> bytes:
        def work(session: Session) -> bytes:
            revision = session.get(AppRevision, revision_id)
            if revision is None or revision.app_id != app_id:
                raise NotFound(f"revision {revision_id} of {app_id} not found")
            code = session.get(AppCode, revision.code_sha256)
            if code is None:
                raise NotFound(f"revision {revision_id} of {app_id} not found")
            return code.data

        return await self._db(work, write=False)

    async def set_loaded(self, app_id: str, loaded: bool) -> None:
        def work(session: Session) -> None:
            registry = DeploymentService(session, self._deps.clock, operator=self._deps.operator)
            app = registry.get(app_id)
            catalog = CatalogService(session, self._deps.clock, operator=self._deps.operator)
            for endpoint_id in endpoint_ids_of(app):
                catalog.set_loaded(endpoint_id, loaded)

        await self._db(work)

    def _leases(self, session: Session) -> LeaseService:
        return LeaseService(session, self._deps)


async def _read_file(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while block := await asyncio.to_thread(handle.read, READ_BLOCK):
            yield block
