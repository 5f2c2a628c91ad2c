"""fal's Serverless operations over deployed apps: the caller's apps, an app's revisions,
its events, its runner history, and Prometheus metrics of the caller's apps.

Only an app's owner, or the operator, may read an app's revisions, events and runner
history; anyone else gets 404, as for an app that does not exist.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from impasto.kit.clock import Clock
from impasto.kit.cursors import Cursors
from impasto.kit.errors import InvalidRequest, NotFound
from impasto.kit.ids import IdGenerator
from impasto.kit.text import is_storable
from impasto.models import AppEvent, AppRevision, DeployedApp, RequestRecord
from impasto.runs.deployments.activity import AppActivity
from impasto.runs.deployments.revisions import RevisionService
from impasto.runs.deployments.service import auth_mode
from impasto.usage.window import Window, next_boundary

Aggregation = Literal["max", "avg"]
REVISION_EVENTS = timedelta(days=30)  # fal derives status and deployed_by from these
MAX_HISTORY = timedelta(days=90)
MAX_BUCKETS = 20_000


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class RevisionView:
    revision: AppRevision
    is_current: bool
    deployed_by: str | None
    status: str | None


@dataclass(frozen=True)
class Bucket:
    timestamp: datetime
    running: float
    idle: float
    pending: float
    draining: float


class ServerlessService:
    def __init__(self, session: Session, clock: Clock, ids: IdGenerator, *, operator: str):
        self._session = session
        self._clock = clock
        self._operator = operator
        self._revisions = RevisionService(session, clock, ids, operator=operator)
        self._activity = AppActivity(session, clock, ids)

    # -- apps -----------------------------------------------------------------------------

    def apps(self, owner: str, search: str | None) -> list[DeployedApp]:
        """The caller's own apps, by name; ``search`` is a case-insensitive substring."""
        apps = [app for app in self._revisions.deployments.list() if app.owner == owner]
        if search:
            apps = [app for app in apps if search.lower() in app.name.lower()]
        return sorted(apps, key=lambda app: app.name)

    def auth_mode(self, app: DeployedApp) -> str:
        return auth_mode(self._session, app)

    def app(self, caller: str, owner: str, name: str) -> DeployedApp:
        app_id = f"{owner}/{name}"
        app = None
        if len(app_id) <= 255 and is_storable(app_id):
            app = self._revisions.deployments.repository.get(app_id)
        if app is None or caller not in (app.owner, self._operator):
            raise NotFound(f"Application {app_id} not found")
        return app

    # -- revisions ------------------------------------------------------------------------

    def revisions(
        self, app: DeployedApp, limit: int, cursor: str | None, cursors: Cursors
    ) -> Page[RevisionView]:
        query: dict[str, Any] = {"op": "revisions", "app": app.app_id}
        everything = self._revisions.revisions(app.app_id)  # newest first, bounded by deploys
        start = 0
        if cursor is not None:
            [after] = cursors.read(cursor, query, ["str"])
            start = next(
                (i + 1 for i, r in enumerate(everything) if r.revision_id == after), len(everything)
            )
        page = everything[start : start + limit]
        deploys = self._deploy_events(app.app_id)
        views = [
            RevisionView(
                revision=revision,
                is_current=revision.revision_id == app.revision_id,
                deployed_by=deploys.get(revision.revision_id),
                status="deployed" if revision.revision_id in deploys else None,
            )
            for revision in page
        ]
        more = start + limit < len(everything)
        next_cursor = cursors.issue(query, [page[-1].revision_id]) if more and page else None
        return Page(views, next_cursor)

    def _deploy_events(self, app_id: str) -> dict[str, str]:
        """Revision -> who deployed it, from the last 30 days of deployment events."""
        since = self._clock.now() - REVISION_EVENTS
        query = select(AppEvent).where(
            AppEvent.app_id == app_id,
            AppEvent.category == "deployment_ended",
            AppEvent.created_at >= since,
        )
        found: dict[str, str] = {}
        for event in self._session.scalars(query):
            revision = event.payload.get("new_application_id")
            actor = event.payload.get("actor") or {}
            if isinstance(revision, str):
                found[revision] = str(actor.get("nickname") or "")
        return found

    # -- events ---------------------------------------------------------------------------

    def events(
        self,
        app: DeployedApp,
        window: Window,
        categories: Sequence[str] | None,
        limit: int,
        cursor: str | None,
        cursors: Cursors,
    ) -> Page[AppEvent]:
        query = {
            "op": "events",
            "app": app.app_id,
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "categories": sorted(categories or []),
        }
        after = None
        if cursor is not None:
            at, event_id = cursors.read(cursor, query, ["datetime", "str"])
            after = (at, event_id)
        rows = self._activity.events(
            app.app_id,
            start=window.start,
            end=window.end,
            categories=categories,
            limit=limit + 1,
            after=after,
        )
        page, more = rows[:limit], len(rows) > limit
        last = page[-1] if page else None
        next_cursor = (
            cursors.issue(query, [last.created_at, last.event_id]) if more and last else None
        )
        return Page(page, next_cursor)

    # -- runner history -------------------------------------------------------------------

    def runner_history(
        self, app: DeployedApp, window: Window, aggregation: Aggregation
    ) -> list[Bucket]:
        """Runner counts by state per bucket, oldest first: the workers' per-minute samples
        summed per minute, then the bucket's peak (``max``) or mean over its minutes up to
        now (``avg``); a minute without samples had no runners."""
        if window.end - window.start > MAX_HISTORY:
            raise InvalidRequest("runner history covers at most 90 days")
        buckets = _buckets(window)
        if len(buckets) > MAX_BUCKETS:
            raise InvalidRequest("too many buckets: choose a larger timeframe")
        per_minute: dict[datetime, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for sample in self._activity.samples(app.app_id, window.start, window.end):
            minute = sample.sampled_at.replace(second=0, microsecond=0)
            totals = per_minute[minute]
            for i, count in enumerate(
                (sample.running, sample.idle, sample.pending, sample.draining)
            ):
                totals[i] += count
        now = self._clock.now()
        minutes = sorted(per_minute)
        history: list[Bucket] = []
        for aligned, begin, finish in buckets:
            low, high = bisect_left(minutes, begin), bisect_left(minutes, finish)
            inside = [per_minute[minute] for minute in minutes[low:high]]
            counts = [0.0, 0.0, 0.0, 0.0]
            if inside and aggregation == "max":
                counts = [float(max(v[i] for v in inside)) for i in range(4)]
            elif inside:
                span = max(1.0, (min(finish, now) - begin).total_seconds() / 60)
                counts = [round(sum(v[i] for v in inside) / span, 4) for i in range(4)]
            history.append(Bucket(aligned, *counts))
        return history

    # -- metrics --------------------------------------------------------------------------

    def metrics(self, owner: str) -> str:
        """Prometheus text: per app of ``owner``, requests by status and outcome, and the
        runners the workers last counted."""
        apps = self.apps(owner, None)
        ids = [app.app_id for app in apps]
        lines = [
            "# HELP impasto_app_requests Requests of the app by status and result code.",
            "# TYPE impasto_app_requests gauge",
        ]
        if ids:
            query = (
                select(
                    RequestRecord.app_id,
                    RequestRecord.status,
                    RequestRecord.result_status,
                    func.count(),
                )
                .where(RequestRecord.app_id.in_(ids))
                .group_by(RequestRecord.app_id, RequestRecord.status, RequestRecord.result_status)
            )
            for app_id, state, code, count in self._session.execute(query):
                labels = f'app="{app_id}",status="{state}",code="{code or ""}"'
                lines.append(f"impasto_app_requests{{{labels}}} {count}")
        lines += [
            "# HELP impasto_app_runners Runners of the app by state at the last sample.",
            "# TYPE impasto_app_runners gauge",
        ]
        since = self._clock.now() - timedelta(minutes=2)
        for app in apps:
            latest: dict[str, list[int]] = {}
            for sample in self._activity.samples(app.app_id, since, self._clock.now()):
                latest[sample.worker] = [
                    sample.running,
                    sample.idle,
                    sample.pending,
                    sample.draining,
                ]
            for i, state in enumerate(("running", "idle", "pending", "draining")):
                total = sum(counts[i] for counts in latest.values())
                lines.append(f'impasto_app_runners{{app="{app.app_id}",state="{state}"}} {total}')
        return "\n".join(lines) + "\n"


def _buckets(window: Window) -> list[tuple[datetime, datetime, datetime]]:
    """Each bucket covering the window: its aligned start, and the part of the window in
    it (``begin <= t < finish``), in UTC."""
    buckets: list[tuple[datetime, datetime, datetime]] = []
    local = window.bucket(window.start)
    while len(buckets) <= MAX_BUCKETS:
        aligned = local.astimezone(UTC)
        if aligned >= window.end:
            break
        local = next_boundary(local, window.timeframe)
        after = local.astimezone(UTC)
        buckets.append((aligned, max(aligned, window.start), min(after, window.end)))
    return buckets
