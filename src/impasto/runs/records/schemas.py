"""fal's request-record bodies, field for field (Platform API, Models > Requests)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from impasto.models import RequestRecord


class RequestItem(BaseModel):
    """Request item."""

    request_id: str = Field(description="Unique identifier for the request")
    endpoint_id: str = Field(description="Endpoint that was executed for this request")
    started_at: datetime = Field(
        description="Time when request processing started (the submission time while the "
        "request has not started)"
    )
    sent_at: datetime = Field(description="Time when the request was submitted")
    ended_at: datetime | None = Field(description="Time when request finished processing")
    status_code: int | None = Field(description="HTTP status code returned by the request")
    duration: float | None = Field(
        description="Total request duration in seconds, from submission to completion"
    )
    json_input: Any = Field(default=None, description="Input payload for the request")
    json_output: Any = Field(default=None, description="Output payload for the request")


class RequestList(BaseModel):
    """Paginated list of requests for the specified endpoint."""

    next_cursor: str | None = Field(description="Cursor for the next page, null if none")
    has_more: bool = Field(description="Whether more results are available")
    items: list[RequestItem]


class SearchResult(RequestItem):
    """Request search result."""

    similarity: float = Field(
        default=0.0, ge=0, le=1, description="Similarity score (0-1) when search is used"
    )


class SearchResults(BaseModel):
    """Request search results with pagination."""

    next_cursor: str | None = Field(description="Cursor for the next page, null if none")
    has_more: bool = Field(description="Whether more results are available")
    results: list[SearchResult]


class CdnDeleteResult(BaseModel):
    """Result of deleting a single CDN file."""

    link: str = Field(description="URL of the file that was targeted for deletion")
    exception: str | None = Field(description="Why deletion failed, null if it succeeded")


class DeletePayloadsResponse(BaseModel):
    """Results of deleting request payloads and output files."""

    cdn_delete_results: list[CdnDeleteResult]


class QueueInfo(BaseModel):
    """Status of the app queue."""

    model_config = {"extra": "forbid"}

    queue_size: int = Field(ge=0, description="Current number of requests in the queue")


def item_fields(record: RequestRecord, *, payloads: bool) -> dict[str, Any]:
    """The item's fields; ``json_input``/``json_output`` only when payloads are expanded
    (left unset otherwise, so they are omitted rather than null)."""
    duration = None
    if record.completed_at is not None:
        duration = (record.completed_at - record.created_at).total_seconds()
    fields: dict[str, Any] = {
        "request_id": record.request_id,
        "endpoint_id": record.endpoint_id,
        "started_at": record.started_at or record.created_at,
        "sent_at": record.created_at,
        "ended_at": record.completed_at,
        "status_code": record.result_status,
        "duration": duration,
    }
    if payloads:
        # X-Fal-Store-IO: 0 keeps neither payload in the history (the queue's result
        # endpoint still answers the caller once).
        fields["json_input"] = record.input if record.store_io else None
        fields["json_output"] = record.output if record.store_io else None
    return fields
