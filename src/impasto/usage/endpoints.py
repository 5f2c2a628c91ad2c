"""fal's usage, analytics, billing-event, account-billing and FOCUS operations, for the
caller's own account."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BeforeValidator

from impasto.keys.auth import AdminPrincipal, ApiPrincipal
from impasto.kit.comma_lists import split_comma_lists
from impasto.kit.errors import InvalidRequest
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES
from impasto.teams.deps import ReadTeams
from impasto.usage.deps import ReadUsage
from impasto.usage.focus import MEDIA_TYPE, Account, focus_csv
from impasto.usage.params import (
    Bound,
    Cursor,
    End,
    EndpointIds,
    Expand,
    KeyIds,
    Limit,
    LoginUsernames,
    RequestIds,
    RequiredEndpointIds,
    Start,
    TimeframeParam,
    Timezone,
    expansions,
    ids,
    page_size,
)
from impasto.usage.schemas import (
    AccountBilling,
    AnalyticsResponse,
    BillingEvents,
    ServerlessUsage,
    UsageResponse,
)
from impasto.usage.service import MAX_BILLING_SPAN, EventQuery, ReportQuery, UsageService
from impasto.usage.window import Window, month_window, resolve

router = APIRouter(route_class=BoundedRoute, prefix="/v1", responses=ERROR_RESPONSES)

PROVIDER = "Impasto"  # FOCUS's ProviderName and InvoiceIssuerName
MAX_REPORT_LINES = 1000
MAX_EVENTS = 10_000
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}
Apps = Annotated[
    list[str] | None,
    BeforeValidator(split_comma_lists),
    Query(description="App name(s), owner prefix stripped, 1-50, comma-separated or repeated"),
]
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="A month, YYYY-MM")]


def report_window(
    usage: UsageService,
    start: str | None,
    end: str | None,
    timezone: str,
    timeframe: str | None,
    bound: str,
) -> Window:
    return resolve(
        start=start,
        end=end,
        timezone=timezone,
        timeframe=timeframe,  # type: ignore[arg-type]  # checked by the Literal query type
        bound_to_timeframe=bound == "true",
        now=usage.now(),
    )


@router.get(
    "/models/usage",
    tags=["Models", "Usage"],
    operation_id="getUsage",
    summary="Usage",
    response_model=UsageResponse,
    response_model_exclude_unset=True,
)
def get_usage(
    principal: AdminPrincipal,
    usage: ReadUsage,
    limit: Limit = None,
    cursor: Cursor = None,
    start: Start = None,
    end: End = None,
    timezone: Timezone = "UTC",
    timeframe: TimeframeParam = None,
    bound_to_timeframe: Bound = "true",
    endpoint_id: EndpointIds = None,
    api_key_id: KeyIds = None,
    login_username: LoginUsernames = None,
    expand: Expand = None,
) -> UsageResponse:
    """Billed units and cost of the caller's account, by time bucket (`time_series`) and in
    total (`summary`), one line per endpoint, unit and price (and key, with
    `auth_method`). Costs were fixed when each request completed."""
    window = report_window(usage, start, end, timezone, timeframe, bound_to_timeframe)
    return usage.usage(
        ReportQuery(
            owners=[principal.owner],
            window=window,
            endpoint_ids=ids(endpoint_id, "endpoint_id"),
            key_ids=ids(api_key_id, "api_key_id"),
            login_usernames=ids(login_username, "login_username"),
            expand=expansions(expand, ["time_series"]),
            limit=page_size(limit, 50, MAX_REPORT_LINES),
            cursor=cursor,
        )
    )


@router.get(
    "/models/analytics",
    tags=["Models", "Analytics"],
    operation_id="getAnalytics",
    summary="Analytics",
    response_model=AnalyticsResponse,
    response_model_exclude_unset=True,
)
def get_analytics(
    principal: ApiPrincipal,
    usage: ReadUsage,
    endpoint_id: RequiredEndpointIds,
    limit: Limit = None,
    cursor: Cursor = None,
    start: Start = None,
    end: End = None,
    timezone: Timezone = "UTC",
    timeframe: TimeframeParam = None,
    bound_to_timeframe: Bound = "true",
    expand: Expand = None,
) -> AnalyticsResponse:
    """Request counts, outcomes and latency percentiles (seconds) of the caller's requests
    to the given endpoints. `prepare_duration` is the wait from submission to start,
    `duration` the run itself, `total_billable_duration` the runner time. Cold-boot metrics
    are accepted in `expand` but not measured, so they are left out."""
    endpoints = ids(endpoint_id, "endpoint_id") or []  # blank ids name no endpoint
    window = report_window(usage, start, end, timezone, timeframe, bound_to_timeframe)
    return usage.analytics(
        ReportQuery(
            owners=[principal.owner],
            window=window,
            endpoint_ids=endpoints,
            key_ids=None,
            expand=expansions(expand, ["time_series", "request_count"]),
            limit=page_size(limit, 50, MAX_REPORT_LINES),
            cursor=cursor,
        )
    )


@router.get(
    "/serverless/analytics",
    tags=["Serverless", "Analytics"],
    operation_id="serverlessGetAnalytics",
    summary="Serverless analytics",
    response_model=AnalyticsResponse,
    response_model_exclude_unset=True,
)
def get_serverless_analytics(
    principal: ApiPrincipal,
    usage: ReadUsage,
    endpoint_id: RequiredEndpointIds,
    limit: Limit = None,
    cursor: Cursor = None,
    start: Start = None,
    end: End = None,
    timezone: Timezone = "UTC",
    timeframe: TimeframeParam = None,
    bound_to_timeframe: Bound = "true",
    expand: Expand = None,
) -> AnalyticsResponse:
    """`/models/analytics` for the endpoints of serverless apps: the same metrics of the
    caller's requests."""
    return get_analytics(
        principal,
        usage,
        endpoint_id,
        limit,
        cursor,
        start,
        end,
        timezone,
        timeframe,
        bound_to_timeframe,
        expand,
    )


@router.get(
    "/serverless/usage",
    tags=["Serverless", "Usage"],
    operation_id="serverlessGetUsage",
    summary="Serverless usage",
    response_model=ServerlessUsage,
    response_model_exclude_unset=True,
)
def get_serverless_usage(
    principal: AdminPrincipal,
    usage: ReadUsage,
    limit: Limit = None,
    cursor: Cursor = None,
    start: Start = None,
    end: End = None,
    timezone: Timezone = "UTC",
    timeframe: TimeframeParam = None,
    bound_to_timeframe: Bound = "true",
    app: Apps = None,
    search: Annotated[
        str | None, Query(max_length=255, description="Apps whose name contains this (any case)")
    ] = None,
    expand: Expand = None,
) -> ServerlessUsage:
    """Runner seconds the caller's apps spent serving requests (anyone's), per app name
    (owner prefix stripped). Runner time is measured, not priced here: `unit_price` and
    costs are 0, `machine_type` is `default`, `environment` null, `is_surge` false."""
    window = report_window(usage, start, end, timezone, timeframe, bound_to_timeframe)
    return usage.serverless_usage(
        ReportQuery(
            owners=[principal.owner],
            window=window,
            endpoint_ids=None,
            key_ids=None,
            expand=expansions(expand, ["time_series"]),
            limit=page_size(limit, 50, MAX_REPORT_LINES),
            cursor=cursor,
        ),
        principal.owner,
        ids(app, "app"),
        search,
    )


@router.get(
    "/models/billing-events",
    tags=["Models", "Usage"],
    operation_id="getBillingEvents",
    summary="Billing Events",
    response_model=BillingEvents,
    response_model_exclude_unset=True,
)
def get_billing_events(
    principal: AdminPrincipal,
    usage: ReadUsage,
    limit: Limit = None,
    cursor: Cursor = None,
    start: Start = None,
    end: End = None,
    endpoint_id: EndpointIds = None,
    request_id: RequestIds = None,
    api_key_id: KeyIds = None,
    login_username: LoginUsernames = None,
    expand: Expand = None,
) -> BillingEvents:
    """One event per billed request of the caller's account, oldest first: its units, unit
    price and cost (`cost_estimate_nano_usd` is the cost in nano-units of its currency).
    The range spans at most 90 days; start defaults to 24 hours before end."""
    window = resolve(
        start=start,
        end=end,
        timezone="UTC",
        timeframe="minute",
        bound_to_timeframe=False,
        now=usage.now(),
        max_span=MAX_BILLING_SPAN,
    )
    body, _ = usage.billing_events(
        EventQuery(
            owners=[principal.owner],
            start=window.start,
            end=window.end,
            endpoint_ids=ids(endpoint_id, "endpoint_id"),
            key_ids=ids(api_key_id, "api_key_id"),
            request_ids=ids(request_id, "request_id"),
            login_usernames=ids(login_username, "login_username"),
            expand=expansions(expand, []),
            limit=page_size(limit, 50, MAX_EVENTS),
            cursor=cursor,
        )
    )
    return body


@router.get(
    "/account/billing",
    tags=["Account"],
    operation_id="getAccountBilling",
    summary="Account Billing",
    response_model=AccountBilling,
    response_model_exclude_unset=True,
)
def get_account_billing(principal: AdminPrincipal, expand: Expand = None) -> AccountBilling:
    """The caller's account. A self-hosted server sells no prepaid credits, so `credits`
    is left out even when expanded; usage is billed from the ledger (`/models/usage`)."""
    return AccountBilling(username=principal.owner)


@router.get(
    "/account/focus",
    tags=["Account"],
    operation_id="getFocusReport",
    summary="FOCUS Billing Report",
    response_class=Response,
    responses=CSV_RESPONSE,
)
def get_focus_report(
    principal: AdminPrincipal,
    usage: ReadUsage,
    teams: ReadTeams,
    source: Annotated[Literal["invoice", "estimate"], Query(description="invoice or estimate")],
    billing_month: Month = None,
    charge_month: Month = None,
    expand: Annotated[
        Literal["organization"] | None, Query(description="organization: every team")
    ] = None,
    start: Start = None,
    end: End = None,
    timezone: Timezone = "UTC",
    timeframe: TimeframeParam = None,
    bound_to_timeframe: Bound = "true",
) -> Response:
    """The caller's charges as FinOps FOCUS 1.0 CSV. `estimate`: the window `start`..`end`
    (at most 90 days), one row per bucket, endpoint and price. `invoice`: a calendar month
    (UTC) of the ledger, `billing_month` or `charge_month` (the same here: nothing is
    invoiced later than it is charged), by day. `expand=organization` (an organization
    root only, 403 otherwise): every team, each as a sub-account of the root."""
    owners = [principal.owner]
    accounts: dict[str, Account] = {}
    if expand == "organization":  # the root's whole organization, each team a sub-account
        owners = teams.team_usernames(principal.owner, None)
        accounts = {owner: Account(principal.owner, owner) for owner in owners}
    window = focus_window(
        usage,
        source,
        billing_month,
        charge_month,
        start,
        end,
        timezone,
        timeframe,
        bound_to_timeframe,
    )
    events = usage.ledger(owners, window.start, window.end)
    body = focus_csv(events, window, accounts, provider=PROVIDER)
    return Response(body, media_type=MEDIA_TYPE)


def focus_window(
    usage: UsageService,
    source: str,
    billing_month: str | None,
    charge_month: str | None,
    start: str | None,
    end: str | None,
    timezone: str,
    timeframe: str | None,
    bound: str,
) -> Window:
    if source == "invoice":
        month = billing_month or charge_month
        return month_window(month, usage.now())
    window = report_window(usage, start, end, timezone, timeframe, bound)
    if window.end - window.start > MAX_BILLING_SPAN:
        raise InvalidRequest("the date range may span at most 90 days")
    return window
