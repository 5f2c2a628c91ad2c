"""The body fal POSTs to a webhook URL, built once and stored so every retry is identical."""

from __future__ import annotations

import json
from typing import Any

PAYLOAD_ERROR = (
    "Response payload is not JSON serializable. Either return a JSON serializable object "
    "or use the queue endpoint to retrieve the response."
)


def _dumps(value: Any) -> str:
    # Compact and strict (no NaN/Infinity, which are not JSON); ASCII keeps the bytes stable.
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def build_webhook_body(
    request_id: str,
    gateway_request_id: str,
    result_status: int | None,
    output: Any,
    error: str | None,
) -> str:
    """fal's webhook body for a finished request.

    2xx: ``{"request_id", "gateway_request_id", "status": "OK", "payload": output}``.
    Anything else (None: the platform failed it): ``"status": "ERROR"``,
    ``"error": "Invalid status code: <n>"`` and the error body as ``payload`` (the app's
    output, else ``{"detail": error}``). An output that is not JSON becomes ``payload: null``
    with fal's ``payload_error``.
    """
    status = 500 if result_status is None else result_status
    body: dict[str, Any] = {"request_id": request_id, "gateway_request_id": gateway_request_id}
    payload = output
    if 200 <= status < 300:
        body["status"] = "OK"
    else:
        body["status"] = "ERROR"
        body["error"] = f"Invalid status code: {status}"
        if payload is None and error is not None:
            payload = {"detail": error}
    try:
        _dumps(payload)
    except (TypeError, ValueError, RecursionError):
        body["payload"] = None
        body["payload_error"] = PAYLOAD_ERROR
    else:
        body["payload"] = payload
    return _dumps(body)
