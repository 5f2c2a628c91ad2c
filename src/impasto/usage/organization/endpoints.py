"""fal's organization usage, billing-event and FOCUS operations (the root's ADMIN keys)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BeforeValidator

from impasto.keys.auth import AdminPrincipal
from impasto.kit.comma_lists import split_comma_lists
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES
from impasto.teams.deps import ReadTeams
from impasto.teams.service import TeamService
from impasto.usage.deps import ReadUsage
from impasto.usage.endpoints import (
    CSV_RESPONSE,
    MAX_EVENTS,
    MAX_REPORT_LINES,
    PROVIDER,
    Month,
    focus_window,
    report_window,
)
from impasto.usage.focus import MEDIA_TYPE, Account, focus_csv
from impasto.usage.params import (
    Bound,
    Cursor,
    End,
    EndpointIds,
    Expand,
    KeyIds,
    Limit,
    RequestIds,
    Start,
    TimeframeParam,
    Timezone,
    expansions,
    ids,
    page_size,
)
from impasto.usage.schemas import OrganizationUsage, TeamBillingEvent, TeamBillingEvents
from impasto.usage.service import MAX_BILLING_SPAN, EventQuery, ReportQuery
from impasto.usage.window import resolve

router = APIRouter(
    route_class=BoundedRoute,
    prefix="/v1/organization",
    tags=["Organization"],
    responses=ERROR_RESPONSES,
)

TeamUsernames = Annotated[
    list[str] | None,
    BeforeValidator(split_comma_lists),
    Query(description="Team username(s), comma-separated or repeated; default: every team"),
]
Products = Annotated[
    list[str] | None,
    BeforeValidator(split_comma_lists),
    Query(description="model_apis, serverless, compute; every request here is model_apis"),
]


def _teams(teams: TeamService, owner: str, wanted: Sequence[str] | None) -> list[str]:
    return teams.team_usernames(owner, ids(wanted, "team_username"))


@router.get(
    "/usage",
    operation_id="getOrganizationUsage",
    summary="Organization Usage",
    response_model=OrganizationUsage,
    response_model_exclude_unset=True,
)
def get_organization_usage(
    principal: AdminPrincipal,
    usage: ReadUsage,
    teams: ReadTeams,
    limit: Limit = None,
    cursor: Cursor = None,
    start: Start = None,
    end: End = None,
    timezone: Timezone = "UTC",
    timeframe: TimeframeParam = None,
    bound_to_timeframe: Bound = "true",
    endpoint_id: EndpointIds = None,
    api_key_id: KeyIds = None,
    team_username: TeamUsernames = None,
    product: Products = None,
    expand: Expand = None,
) -> OrganizationUsage:
    """Usage of every team of the caller's organization, each line naming its team
    (`username`) and product. Only the organization root's ADMIN keys may read it."""
    owners = _teams(teams, principal.owner, team_username)
    products = ids(product, "product")
    if products is not None and "model_apis" not in products:
        owners = []  # serverless and compute usage are not metered here
    window = report_window(usage, start, end, timezone, timeframe, bound_to_timeframe)
    return usage.organization_usage(
        ReportQuery(
            owners=owners,
            window=window,
            endpoint_ids=ids(endpoint_id, "endpoint_id"),
            key_ids=ids(api_key_id, "api_key_id"),
            expand=expansions(expand, ["time_series"]),
            limit=page_size(limit, 50, MAX_REPORT_LINES),
            cursor=cursor,
        )
    )


@router.get(
    "/billing-events",
    operation_id="getOrganizationBillingEvents",
    summary="Organization Billing Events",
    response_model=TeamBillingEvents,
    response_model_exclude_unset=True,
)
def get_organization_billing_events(
    principal: AdminPrincipal,
    usage: ReadUsage,
    teams: ReadTeams,
    limit: Limit = None,
    cursor: Cursor = None,
    start: Start = None,
    end: End = None,
    endpoint_id: EndpointIds = None,
    request_id: RequestIds = None,
    api_key_id: KeyIds = None,
    team_username: TeamUsernames = None,
    expand: Expand = None,
) -> TeamBillingEvents:
    """Billing events of every team of the caller's organization, each naming its team."""
    owners = _teams(teams, principal.owner, team_username)
    window = resolve(
        start=start,
        end=end,
        timezone="UTC",
        timeframe="minute",
        bound_to_timeframe=False,
        now=usage.now(),
        max_span=MAX_BILLING_SPAN,
    )
    body, rows = usage.billing_events(
        EventQuery(
            owners=owners,
            start=window.start,
            end=window.end,
            endpoint_ids=ids(endpoint_id, "endpoint_id"),
            key_ids=ids(api_key_id, "api_key_id"),
            request_ids=ids(request_id, "request_id"),
            expand=expansions(expand, []),
            limit=page_size(limit, 50, MAX_EVENTS),
            cursor=cursor,
        )
    )
    events = [
        TeamBillingEvent(username=row.owner, **_set_fields(item))
        for item, row in zip(body.billing_events, rows, strict=True)
    ]
    return TeamBillingEvents(
        next_cursor=body.next_cursor, has_more=body.has_more, billing_events=events
    )


@router.get(
    "/focus",
    operation_id="getOrganizationFocusReport",
    summary="Organization FOCUS Billing Report",
    response_class=Response,
    responses=CSV_RESPONSE,
)
def get_organization_focus_report(
    principal: AdminPrincipal,
    usage: ReadUsage,
    teams: ReadTeams,
    source: Annotated[Literal["invoice", "estimate"], Query(description="invoice or estimate")],
    billing_month: Month = None,
    charge_month: Month = None,
    team_username: Annotated[
        str | None, Query(max_length=63, description="Only this team; default: every team")
    ] = None,
    start: Start = None,
    end: End = None,
    timezone: Timezone = "UTC",
    timeframe: TimeframeParam = None,
    bound_to_timeframe: Bound = "true",
) -> Response:
    """The organization's charges as FOCUS 1.0 CSV: the root is the billing account and
    each team a sub-account (one operator bills every team: pooled billing)."""
    owners = _teams(teams, principal.owner, [team_username] if team_username else None)
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
    accounts = {owner: Account(principal.owner, owner) for owner in owners}
    return Response(focus_csv(events, window, accounts, provider=PROVIDER), media_type=MEDIA_TYPE)


def _set_fields(item: Any) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.model_fields_set}
