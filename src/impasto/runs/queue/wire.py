"""fal's queue bodies: the status object (§2.3) and the result response (§2.5)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse

from impasto.models import RequestRecord
from impasto.runs.queue.paths import queue_urls
from impasto.runs.queue.repository import COMPLETED, IN_QUEUE
from impasto.runs.queue.service import StatusView

PAYLOADS_DELETED = "The payloads of this request were deleted"


def status_body(view: StatusView, base: str) -> dict[str, Any]:
    record = view.record
    body: dict[str, Any] = {
        "status": record.status,
        "request_id": record.request_id,
        **queue_urls(base, record.app_id, record.request_id),
    }
    if record.status == IN_QUEUE:
        body["queue_position"] = view.queue_position or 0
        return body
    body["logs"] = view.logs
    body["metrics"] = {}
    if record.status == COMPLETED:
        if record.inference_time is not None:
            body["metrics"] = {"inference_time": record.inference_time}
        if record.error is not None:
            body["error"] = record.error
            body["error_type"] = record.error_type
    return body


def status_code_of(record: RequestRecord) -> int:
    return 200 if record.status == COMPLETED else 202


def result_response(record: RequestRecord) -> Response:
    """The app's own status code, headers and body, as a direct call would have answered."""
    headers = {**(record.result_headers or {}), "x-fal-request-id": record.request_id}
    if record.payloads_deleted:
        return JSONResponse({"detail": PAYLOADS_DELETED}, status_code=410, headers=headers)
    return Response(
        content=json.dumps(record.output, separators=(",", ":"), ensure_ascii=False),
        status_code=record.result_status or 200,
        media_type="application/json",
        headers=headers,
    )


def sse(data: Any, event: str | None = None) -> bytes:
    named = f"event: {event}\n" if event else ""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"{named}data: {body}\n\n".encode()


SSE_PING = b": ping\n\n"
