"""fal's request-record operations: list by endpoint, search, delete payloads, app queues."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Path, Query, Response, status
from pydantic import BeforeValidator

from impasto.deps import ClockDep, WriteSession
from impasto.keys.auth import AdminPrincipal, ApiPrincipal
from impasto.keys.service import Principal
from impasto.kit.comma_lists import split_comma_lists
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES
from impasto.models import KeyScope
from impasto.runs.records.deps import ReadAppQueues, ReadRecords, WriteAppQueues
from impasto.runs.records.payloads import delete_payloads
from impasto.runs.records.query import ByEndpointQuery, RecordQuery, split_ids
from impasto.runs.records.queues import QueueCaller
from impasto.runs.records.schemas import (
    CdnDeleteResult,
    DeletePayloadsResponse,
    QueueInfo,
    RequestItem,
    RequestList,
    SearchResult,
    SearchResults,
    item_fields,
)

router = APIRouter(
    route_class=BoundedRoute,
    prefix="/v1/models/requests",
    tags=["Models", "Requests"],
    responses=ERROR_RESPONSES,
)
# fal serves the same listing under its Serverless section too.
serverless_requests_router = APIRouter(
    route_class=BoundedRoute,
    prefix="/v1/serverless/requests",
    tags=["Serverless", "Requests"],
    responses=ERROR_RESPONSES,
)
queue_router = APIRouter(
    route_class=BoundedRoute,
    prefix="/v1/serverless/apps",
    tags=["Serverless", "Apps"],
    responses=ERROR_RESPONSES,
)

MAX_LIMIT = 100
MAX_URL_LENGTH = 4096


EndpointIds = Annotated[
    list[str] | None,
    Query(
        description="Endpoint id(s), 1-50, comma-separated or repeated: "
        "?endpoint_id=a,b or ?endpoint_id=a&endpoint_id=b"
    ),
]


def _iso_only(value: object) -> object:
    """Dates are ISO 8601 here; pydantic would read a bare number as a Unix time."""
    if not isinstance(value, str):
        return value
    try:
        float(value)  # "1e5", "-3.2", "nan" alike
    except ValueError:
        return value
    raise ValueError("expected an ISO 8601 date-time or date, not a number")


Moment = Annotated[
    datetime | date | None,
    BeforeValidator(_iso_only),
    Query(description="ISO 8601 date-time or date (e.g. 2025-01-01T00:00:00Z or 2025-01-01)"),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Accepted for fal compatibility; the operation is idempotent by itself",
    ),
]


@serverless_requests_router.get(
    "/by-endpoint",
    operation_id="serverlessListRequestsByEndpoint",
    summary="List requests by endpoint(s)",
    response_model=RequestList,
    response_model_exclude_unset=True,
)
@router.get(
    "/by-endpoint",
    operation_id="listRequestsByEndpoint",
    summary="List requests by endpoint(s)",
    response_model=RequestList,
    response_model_exclude_unset=True,
)
def list_by_endpoint(
    principal: ApiPrincipal,
    records: ReadRecords,
    endpoint_id: Annotated[
        list[str],
        Query(description="Endpoint id(s), 1-50, comma-separated or repeated"),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = 50,
    cursor: Annotated[str | None, Query(description="Cursor from a previous page")] = None,
    start: Moment = None,
    end: Moment = None,
    status_: Annotated[
        Literal["success", "error", "user_error"] | None,
        Query(alias="status", description="Filter by outcome (finished requests only)"),
    ] = None,
    request_id: Annotated[UUID | None, Query(description="Filter by request id")] = None,
    expand: Annotated[
        list[str] | None,
        BeforeValidator(split_comma_lists),
        Query(description="payloads: include json_input and json_output"),
    ] = None,
    sort_by: Annotated[
        Literal["ended_at", "duration"], Query(description="Sort by end time or duration")
    ] = "ended_at",
) -> RequestList:
    """The caller's requests of one or more endpoints, finished ones first (latest end or
    longest duration first), then those still queued or running, newest first. `start` /
    `end` bound the submission time (end exclusive); `start` defaults to 24 hours ago, or
    90 days when `request_id` is given."""
    ids = split_ids(endpoint_id, required=True) or []
    page = records.by_endpoint(
        ByEndpointQuery(
            owner=principal.owner,
            endpoint_ids=ids,
            start=start,
            end=end,
            status=status_,
            request_id=str(request_id) if request_id is not None else None,
            sort_by=sort_by,
            limit=limit,
            cursor=cursor,
        )
    )
    payloads = "payloads" in (expand or [])
    return RequestList(
        items=[RequestItem(**item_fields(r, payloads=payloads)) for r in page.records],
        next_cursor=page.next_cursor,
        has_more=page.next_cursor is not None,
    )


@router.get(
    "/search",
    operation_id="searchRequests",
    summary="Search Requests",
    response_model=SearchResults,
    response_model_exclude_unset=True,
)
def search_requests(
    principal: ApiPrincipal,
    records: ReadRecords,
    limit: Annotated[int, Query(ge=1, description="Maximum items to return (at most 100)")] = 50,
    cursor: Annotated[str | None, Query(description="Cursor from a previous page")] = None,
    query: Annotated[
        str | None,
        Query(max_length=1000, description="Words to find in request inputs and outputs"),
    ] = None,
    image_url: Annotated[
        str | None,
        Query(
            max_length=MAX_URL_LENGTH,
            pattern=r"^https?://",
            description="Requests that used or made this image (an http or https URL)",
        ),
    ] = None,
    video_url: Annotated[
        str | None,
        Query(
            max_length=MAX_URL_LENGTH,
            pattern=r"^https?://",
            description="Requests that used or made this video (an http or https URL)",
        ),
    ] = None,
    endpoint_id: EndpointIds = None,
    endpoint: Annotated[
        str | None,
        Query(deprecated=True, description="Deprecated: use endpoint_id"),
    ] = None,
    exclude_api_requests: Annotated[
        bool | None, Query(description="Only requests made without an API key")
    ] = None,
    only_api_requests: Annotated[
        bool | None, Query(description="Only requests made with an API key")
    ] = None,
    min_similarity: Annotated[
        float | None, Query(ge=0, le=1, description="Minimum similarity (0-1) of a result")
    ] = None,
) -> SearchResults:
    """Browse (newest first) or search the caller's request history. `query` ranks
    requests by the share of its words found in their input or output; `image_url` and
    `video_url` find the requests that used or produced that file. `query`, `image_url`
    and `video_url` are mutually exclusive, as are the two API-request filters."""
    ids = endpoint_id if endpoint_id is not None else [endpoint] if endpoint else None
    page = records.search(
        RecordQuery(
            owner=principal.owner,
            endpoint_ids=split_ids(ids, required=False),
            query=query,
            image_url=image_url,
            video_url=video_url,
            exclude_api_requests=exclude_api_requests,
            only_api_requests=only_api_requests,
            min_similarity=min_similarity,
            limit=limit,
            cursor=cursor,
        )
    )
    results = []
    for hit in page.hits:
        fields = item_fields(hit.record, payloads=False)
        if hit.similarity is not None:
            fields["similarity"] = hit.similarity
        results.append(SearchResult(**fields))
    return SearchResults(
        results=results, next_cursor=page.next_cursor, has_more=page.next_cursor is not None
    )


@router.delete(
    "/{request_id}/payloads",
    operation_id="deleteRequestPayloads",
    summary="Delete request payloads",
)
def delete_request_payloads(
    request_id: Annotated[UUID, Path(description="The request's id")],
    principal: AdminPrincipal,
    session: WriteSession,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> DeletePayloadsResponse:
    """Delete a finished request's input and output and the output files it made (input
    files are kept). Deleting again answers an empty list."""
    results = delete_payloads(session, clock, principal.owner, str(request_id))
    return DeletePayloadsResponse(
        cdn_delete_results=[CdnDeleteResult(link=r.link, exception=r.exception) for r in results]
    )


OwnerPath = Annotated[str, Path(max_length=63, description="Username of the app owner")]
NamePath = Annotated[str, Path(max_length=127, description="Application name")]


def _caller(principal: Principal) -> QueueCaller:
    return QueueCaller(owner=principal.owner, admin=principal.scope is KeyScope.ADMIN)


@queue_router.get(
    "/{owner}/{name}/queue", operation_id="serverlessGetAppQueueInfo", summary="Queue Size"
)
def queue_size(
    owner: OwnerPath,
    name: NamePath,
    principal: ApiPrincipal,
    queues: ReadAppQueues,
) -> QueueInfo:
    """Requests waiting in the queue of an app the caller owns."""
    size = queues.size(_caller(principal), owner, name)
    return QueueInfo(queue_size=size)


@queue_router.delete(
    "/{owner}/{name}/queue",
    operation_id="serverlessFlushAppQueue",
    summary="Flush Application Queue",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def flush_queue(
    owner: OwnerPath,
    name: NamePath,
    principal: ApiPrincipal,
    queues: WriteAppQueues,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Cancel every queued request of an app the caller owns; running ones go on."""
    queues.flush(_caller(principal), owner, name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
