"""The queue core on its own: ``RunService`` and ``LeaseService`` on a migrated database,
driven by the test with a frozen clock and sequential ids.

No HTTP, no worker, no background loop: the test is the API, the worker and the reaper,
and each call is its own transaction, as in the server. Completion hooks are the
container's own plus one that records what it saw; wake-ups are recorded as they are
sent (after commit).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from impasto.catalog.repository import CatalogRepository
from impasto.container import build_container, configured_apps
from impasto.kit.clock import FrozenClock
from impasto.kit.db import Database
from impasto.kit.ids import SequentialIds
from impasto.models import CatalogEntry, RequestRecord
from impasto.runs.queue.completion import Completed, CompletionHook, Result
from impasto.runs.queue.leases import Beat, Claim, LeaseService
from impasto.runs.queue.notifier import LocalNotifier
from impasto.runs.queue.options import SubmitOptions
from impasto.runs.queue.service import Caller, RunDeps, RunService, Submitted
from impasto.runs.tasks import deploy_configured_apps
from tests.conftest import SettingsFactory

DEBUG = "impasto/debug"
SERIAL = "acme/serial"
SERIAL_APP = "acme/serial=tests.integration.runs.queue_apps:SerialApp"
OWNERS = ("acme", "bob")
BASE_URL = "http://queue.test"
LEASE_SECONDS = 30.0
MAX_ATTEMPTS = 4
OK = Result(status_code=200, body={"ok": True})


class RecordingNotifier(LocalNotifier):
    """The in-process notifier, keeping every topic it was told to wake."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def notify(self, topic: str) -> None:
        self.sent.append(topic)
        super().notify(topic)


@dataclass
class Seen:
    """What the recording hook saw: the completion, and the request as its own
    transaction read it at that moment."""

    done: Completed
    status_in_transaction: str
    sent_before: int  # wake-ups sent before the hook ran


@dataclass
class QueueCore:
    database: Database
    clock: FrozenClock
    deps: RunDeps
    notifier: RecordingNotifier
    seen: list[Seen] = field(default_factory=list)
    hook_fails: bool = False  # the recording hook raises after recording

    # the API side

    def submit(
        self,
        endpoint: str = DEBUG,
        payload: Any = None,
        *,
        owner: str = "acme",
        **options: Any,
    ) -> Submitted:
        with self.database.session(write=True) as session:
            return RunService(session, self.deps).submit(
                Caller(owner=owner),
                endpoint,
                {} if payload is None else payload,
                SubmitOptions(**options),
                mode="queue",
                base_url=BASE_URL,
            )

    def cancel(self, request_id: str, owner: str = "acme") -> str:
        with self.database.session(write=True) as session:
            return RunService(session, self.deps).cancel(Caller(owner=owner), request_id)

    # the worker and the reaper

    @contextmanager
    def leases(self) -> Iterator[LeaseService]:
        """One write transaction of the worker side."""
        with self.database.session(write=True) as session:
            yield LeaseService(session, self.deps)

    def claim(self, worker: str, limit: int = 10, app_id: str = DEBUG) -> list[Claim]:
        with self.leases() as leases:
            return leases.claim(worker, app_id, limit)

    def heartbeat(self, worker: str, request_ids: list[str]) -> Beat:
        with self.leases() as leases:
            return leases.heartbeat(worker, request_ids)

    def finish(self, worker: str, claim: Claim, result: Result = OK) -> bool:
        with self.leases() as leases:
            return leases.finish(worker, claim.request_id, claim.attempt, result)

    def release(self, worker: str, claim: Claim, result: Result) -> bool:
        with self.leases() as leases:
            return leases.release(worker, claim.request_id, claim.attempt, result)

    def reap(self) -> int:
        with self.leases() as leases:
            return leases.reap()

    # reading back

    def record(self, request_id: str) -> RequestRecord:
        with self.database.session(write=False) as session:
            record = session.get(RequestRecord, request_id)
            assert record is not None
            session.expunge(record)
            return record

    def logs(self, request_id: str) -> list[dict[str, Any]]:
        with self.database.session(write=False) as session:
            return RunService(session, self.deps).logs(request_id)

    def completions(self, request_id: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.done.request_id == request_id]

    def popularity(self, endpoint_id: str) -> int:
        with self.database.session(write=False) as session:
            stmt = select(CatalogEntry.request_count).where(CatalogEntry.endpoint_id == endpoint_id)
            return int(session.scalars(stmt).one())

    def record_hook(self) -> CompletionHook:
        def hook(session: Session, done: Completed) -> None:
            status = session.scalar(
                select(RequestRecord.status).where(RequestRecord.request_id == done.request_id)
            )
            sent = len(self.notifier.sent)
            self.seen.append(Seen(done=done, status_in_transaction=str(status), sent_before=sent))
            if self.hook_fails:
                raise HookFailed(done.request_id)

        return hook


class HookFailed(RuntimeError):
    pass


@pytest.fixture
def queue(make_settings: SettingsFactory) -> Iterator[QueueCore]:
    settings = make_settings(
        builtin_apps=True,
        apps=[SERIAL_APP],
        queue_lease_seconds=LEASE_SECONDS,
        queue_max_attempts=MAX_ATTEMPTS,
        queue_reap_interval_seconds=0,
    )
    clock = FrozenClock()
    container = build_container(settings, clock=clock, ids=SequentialIds("req"))
    try:
        deploy_configured_apps(configured_apps(settings), container.database, container.runs)
        with container.database.session(write=True) as session:
            for owner in OWNERS:
                CatalogRepository(session).ensure_account(owner, clock.now())
        notifier = RecordingNotifier()
        core = QueueCore(
            database=container.database, clock=clock, deps=container.runs, notifier=notifier
        )
        core.deps = replace(
            container.runs,
            notifier=notifier,
            hooks=[*container.runs.hooks, core.record_hook()],
        )
        yield core
    finally:
        container.close()
