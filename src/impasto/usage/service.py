"""Usage, analytics and billing events of one account (or an organization's accounts), read
from the metering ledger."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from impasto.kit.clock import Clock
from impasto.kit.cursors import Cursors
from impasto.kit.errors import InvalidRequest
from impasto.usage.reports import (
    METRICS,
    UNMEASURED,
    LedgerRow,
    PriceKey,
    UsageTotal,
    metrics,
    money,
    usage_lines,
)
from impasto.usage.repository import LedgerFilter, UsageRepository
from impasto.usage.schemas import (
    AnalyticsResponse,
    AppUsageBucket,
    AppUsageLine,
    AuthMethod,
    BillingEvent,
    BillingEvents,
    Metrics,
    MetricsBucket,
    OrganizationUsage,
    ServerlessUsage,
    TeamBucket,
    TeamUsageLine,
    UsageBucket,
    UsageLine,
    UsageResponse,
)
from impasto.usage.window import Window

L = TypeVar("L")
MAX_BILLING_SPAN = timedelta(days=90)
AUTH_EXPANDS = frozenset({"auth_method", "auth_method_structured"})
VIEWS = frozenset({"time_series", "summary"})


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """What a usage or analytics report covers, and how it is cut."""

    owners: Sequence[str]
    window: Window
    endpoint_ids: Sequence[str] | None
    key_ids: Sequence[str] | None
    expand: frozenset[str]
    limit: int
    cursor: str | None
    login_usernames: Sequence[str] | None = None

    def fingerprint(self, operation: str) -> dict[str, Any]:
        return {
            "op": operation,
            "owners": sorted(self.owners),
            "start": self.window.start.isoformat(),
            "end": self.window.end.isoformat(),
            "tz": self.window.zone.key,
            "tf": self.window.timeframe,
            "endpoints": self.endpoint_ids,
            "keys": self.key_ids,
            "logins": self.login_usernames,
            "expand": sorted(self.expand),
        }


@dataclass(frozen=True, slots=True)
class EventQuery:
    owners: Sequence[str]
    start: datetime
    end: datetime
    endpoint_ids: Sequence[str] | None
    key_ids: Sequence[str] | None
    request_ids: Sequence[str] | None
    expand: frozenset[str]
    limit: int
    cursor: str | None
    login_usernames: Sequence[str] | None = None


class UsageService:
    def __init__(self, session: Session, clock: Clock, cursors: Cursors) -> None:
        self._repo = UsageRepository(session)
        self._clock = clock
        self._cursors = cursors

    def now(self) -> datetime:
        return self._clock.now()

    # -- usage --------------------------------------------------------------------------

    def usage(self, query: ReportQuery) -> UsageResponse:
        series, next_cursor, summary = self._usage(query, _usage_line, by_owner=False)
        response = UsageResponse(next_cursor=next_cursor, has_more=next_cursor is not None)
        if series is not None:
            response.time_series = [UsageBucket(bucket=b, results=lines) for b, lines in series]
        if summary is not None:
            response.summary = summary
        return response

    def organization_usage(self, query: ReportQuery) -> OrganizationUsage:
        """``usage`` across an organization's teams: each line names its team."""
        series, next_cursor, summary = self._usage(query, _team_line, by_owner=True)
        response = OrganizationUsage(next_cursor=next_cursor, has_more=next_cursor is not None)
        if series is not None:
            response.time_series = [TeamBucket(bucket=b, results=lines) for b, lines in series]
        if summary is not None:
            response.summary = summary
        return response

    def _usage(
        self,
        query: ReportQuery,
        make: Callable[[PriceKey, UsageTotal, frozenset[str], dict[str, str]], L],
        *,
        by_owner: bool,
    ) -> tuple[list[tuple[str, list[L]]] | None, str | None, list[L] | None]:
        views = query.expand & VIEWS
        if not views:
            raise InvalidRequest("expand must include time_series or summary")
        events = self._events(query, billed_only=True)
        by_key = bool(query.expand & AUTH_EXPANDS)
        aliases = self._aliases(events) if by_key else {}
        series_out: list[tuple[str, list[L]]] | None = None
        next_cursor = None
        summary: list[L] | None = None
        if "time_series" in views:
            buckets: dict[datetime, list[LedgerRow]] = defaultdict(list)
            bucket_of = query.window.bucketer()
            for event in events:
                buckets[bucket_of(event.completed_at)].append(event)
            flat = [
                (bucket, key, total)
                for bucket in sorted(buckets)
                for key, total in usage_lines(
                    buckets[bucket], by_key=by_key, by_owner=by_owner
                ).items()
            ]
            page, next_cursor = self._page(flat, query, "usage")
            series: dict[datetime, list[L]] = {}
            for bucket, key, total in page:
                series.setdefault(bucket, []).append(make(key, total, query.expand, aliases))
            series_out = [(query.window.label(b), lines) for b, lines in series.items()]
        if "summary" in views:
            summary = [
                make(key, total, query.expand, aliases)
                for key, total in usage_lines(events, by_key=by_key, by_owner=by_owner).items()
            ]
        return series_out, next_cursor, summary

    def serverless_usage(
        self, query: ReportQuery, app_owner: str, apps: Sequence[str] | None, search: str | None
    ) -> ServerlessUsage:
        """Runner seconds of ``app_owner``'s apps, whoever called them, per app."""
        views = query.expand & VIEWS
        if not views:
            raise InvalidRequest("expand must include time_series or summary")
        rows = self._repo.events(
            LedgerFilter(
                owners=None,
                start=query.window.start,
                end=query.window.end,
                app_owner=app_owner,
            )
        )
        needle = (search or "").strip().lower()
        wanted = [
            (row, row.app_id.split("/", 1)[-1])
            for row in rows
            if row.runner_seconds
            and (apps is None or row.app_id.split("/", 1)[-1] in apps)
            and needle in row.app_id.split("/", 1)[-1].lower()
        ]
        response = ServerlessUsage(next_cursor=None, has_more=False)
        if "time_series" in views:
            bucket_of = query.window.bucketer()
            cells: dict[tuple[datetime, str], float] = defaultdict(float)
            for row, app in wanted:
                cells[(bucket_of(row.completed_at), app)] += row.runner_seconds or 0.0
            flat = sorted(cells.items())
            page, next_cursor = self._page(flat, query, "serverless-usage")
            series: dict[datetime, list[AppUsageLine]] = {}
            for (bucket, app), seconds in page:
                series.setdefault(bucket, []).append(_app_line(app, seconds))
            response.time_series = [
                AppUsageBucket(bucket=query.window.label(b), results=lines)
                for b, lines in series.items()
            ]
            response.next_cursor = next_cursor
            response.has_more = next_cursor is not None
        if "summary" in views:
            totals: dict[str, float] = defaultdict(float)
            for row, app in wanted:
                totals[app] += row.runner_seconds or 0.0
            response.summary = [_app_line(app, totals[app]) for app in sorted(totals)]
        return response

    # -- analytics ----------------------------------------------------------------------

    def analytics(self, query: ReportQuery) -> AnalyticsResponse:
        views = query.expand & VIEWS
        wanted = [name for name in METRICS if name in query.expand]
        if not views:
            raise InvalidRequest("expand must include time_series or summary")
        if not wanted and not query.expand & set(UNMEASURED):
            raise InvalidRequest("expand must name at least one metric, e.g. request_count")
        events = self._events(query, billed_only=False)
        response = AnalyticsResponse(next_cursor=None, has_more=False)
        if "time_series" in views:
            cells: dict[tuple[datetime, str], list[LedgerRow]] = defaultdict(list)
            bucket_of = query.window.bucketer()
            for event in events:
                cells[(bucket_of(event.completed_at), event.endpoint_id)].append(event)
            flat = sorted(cells.items(), key=lambda item: item[0])
            page, next_cursor = self._page(flat, query, "analytics")
            series: dict[datetime, list[Metrics]] = {}
            for (bucket, endpoint_id), cell in page:
                row = Metrics(endpoint_id=endpoint_id, **metrics(cell, wanted))
                series.setdefault(bucket, []).append(row)
            response.time_series = [
                MetricsBucket(bucket=query.window.label(b), results=rows)
                for b, rows in series.items()
            ]
            response.next_cursor = next_cursor
            response.has_more = next_cursor is not None
        if "summary" in views:
            by_endpoint: dict[str, list[LedgerRow]] = defaultdict(list)
            for event in events:
                by_endpoint[event.endpoint_id].append(event)
            response.summary = [
                Metrics(endpoint_id=endpoint_id, **metrics(by_endpoint[endpoint_id], wanted))
                for endpoint_id in sorted(by_endpoint)
            ]
        return response

    # -- billing events -----------------------------------------------------------------

    def billing_events(self, query: EventQuery) -> tuple[BillingEvents, list[LedgerRow]]:
        """The page's events, and the ledger rows behind them (the organization's view
        adds each row's team)."""
        if query.end - query.start > MAX_BILLING_SPAN:
            raise InvalidRequest("the date range may span at most 90 days")
        where = LedgerFilter(
            owners=query.owners,
            start=query.start,
            end=query.end,
            endpoint_ids=query.endpoint_ids,
            key_ids=query.key_ids,
            request_ids=query.request_ids,
            billed_only=True,
        )
        if query.login_usernames is not None:
            where = replace(where, owners=[])  # every request here is made with a key
        fingerprint = {
            "op": "billing-events",
            "owners": sorted(query.owners),
            "start": query.start.isoformat(),
            "end": query.end.isoformat(),
            "endpoints": query.endpoint_ids,
            "keys": query.key_ids,
            "requests": query.request_ids,
            "logins": query.login_usernames,
        }
        after = None
        if query.cursor is not None:
            at, request_id = self._cursors.read(query.cursor, fingerprint, ["datetime", "str"])
            after = (at, request_id)
        rows = self._repo.page(where, after, query.limit + 1)
        page = rows[: query.limit]
        next_cursor = None
        if len(rows) > query.limit:
            last = page[-1]
            next_cursor = self._cursors.issue(fingerprint, [last.completed_at, last.request_id])
        aliases = self._aliases(page) if query.expand & AUTH_EXPANDS else {}
        items = [_billing_event(e, query.expand, aliases) for e in page]
        body = BillingEvents(
            next_cursor=next_cursor, has_more=next_cursor is not None, billing_events=items
        )
        return body, page

    def ledger(self, owners: Sequence[str], start: datetime, end: datetime) -> list[LedgerRow]:
        """Every billed event of ``owners`` in [start, end): what FOCUS reports charge."""
        where = LedgerFilter(owners=owners, start=start, end=end, billed_only=True)
        return self._repo.events(where)

    # -- shared -------------------------------------------------------------------------

    def _events(self, query: ReportQuery, *, billed_only: bool) -> list[LedgerRow]:
        if query.login_usernames is not None:
            return []  # every request here is made with a key, none with a member's login
        return self._repo.events(
            LedgerFilter(
                owners=query.owners,
                start=query.window.start,
                end=query.window.end,
                endpoint_ids=query.endpoint_ids,
                key_ids=query.key_ids,
                billed_only=billed_only,
            )
        )

    def _page(
        self, items: list[Any], query: ReportQuery, operation: str
    ) -> tuple[list[Any], str | None]:
        fingerprint = query.fingerprint(operation)
        offset = 0
        if query.cursor is not None:
            [offset] = self._cursors.read(query.cursor, fingerprint, ["int"])
            if offset < 0:
                raise InvalidRequest("cursor is not one this server issued")
        end = offset + query.limit
        more = end < len(items)
        return items[offset:end], self._cursors.issue(fingerprint, [end]) if more else None

    def _aliases(self, events: Sequence[LedgerRow]) -> dict[str, str]:
        return self._repo.key_aliases([e.key_id for e in events if e.key_id])


def _auth(key_id: str | None, aliases: dict[str, str]) -> AuthMethod:
    if not key_id:
        return AuthMethod(detail="None")
    return AuthMethod(detail=aliases.get(key_id, "Deleted key"), api_key_id=key_id)


def _usage_line(
    key: PriceKey, total: UsageTotal, expand: frozenset[str], aliases: dict[str, str]
) -> UsageLine:
    cost = money(total.cost_nano)
    line = UsageLine(
        endpoint_id=key.endpoint_id,
        unit=key.unit,
        quantity=total.quantity,
        unit_price=money(key.unit_price_nano),
        percent_discount=None,
        cost_subtotal=cost,
        cost_discount=0.0,
        cost_total=cost,
        cost=cost,
        currency=key.currency,
    )
    if expand & AUTH_EXPANDS:
        auth = _auth(key.key_id, aliases)
        if "auth_method" in expand:
            line.auth_method = auth.detail
        if "auth_method_structured" in expand:
            line.auth_method_structured = auth
    return line


def _billing_event(
    event: LedgerRow, expand: frozenset[str], aliases: dict[str, str]
) -> BillingEvent:
    cost = money(event.cost_nano)
    item = BillingEvent(
        request_id=event.request_id,
        endpoint_id=event.endpoint_id,
        timestamp=event.completed_at.astimezone(UTC).isoformat(),
        output_units=event.quantity,
        unit_price=money(event.unit_price_nano),
        percent_discount=None,
        cost_subtotal=cost,
        cost_discount=0.0,
        cost_total=cost,
        cost_estimate_nano_usd=event.cost_nano,
    )
    if expand & AUTH_EXPANDS:
        auth = _auth(event.key_id, aliases)
        if "auth_method" in expand:
            item.auth_method = auth.detail
        if "auth_method_structured" in expand:
            item.auth_method_structured = auth
    return item


def _team_line(
    key: PriceKey, total: UsageTotal, expand: frozenset[str], aliases: dict[str, str]
) -> TeamUsageLine:
    line = TeamUsageLine(
        username=key.owner or "",
        product="model_apis",
        endpoint_id=key.endpoint_id,
        unit=key.unit,
        quantity=total.quantity,
        unit_price=money(key.unit_price_nano),
        cost=money(total.cost_nano),
        currency=key.currency,
    )
    if expand & AUTH_EXPANDS:
        auth = _auth(key.key_id, aliases)
        if "auth_method" in expand:
            line.auth_method = auth.detail
        if "auth_method_structured" in expand:
            line.auth_method_structured = auth
    return line


# Runner time is measured, not priced: no machine prices are configured on this platform.
MACHINE_TYPE = "default"


def _app_line(app: str, seconds: float) -> AppUsageLine:
    return AppUsageLine(
        app=app,
        environment=None,
        machine_type=MACHINE_TYPE,
        unit="second",
        quantity=seconds,
        unit_price=0.0,
        percent_discount=None,
        cost_subtotal=0.0,
        cost_discount=0.0,
        cost_total=0.0,
        cost=0.0,
        currency="USD",
        is_surge=False,
    )
