"""fal's three webhook body shapes, compact and byte-stable."""

from __future__ import annotations

import json

from impasto.webhooks.payload import PAYLOAD_ERROR, build_webhook_body


def test_success_body() -> None:
    body = build_webhook_body("r-1", "g-1", 200, {"images": [{"url": "u"}], "seed": 3}, None)
    assert body == (
        '{"request_id":"r-1","gateway_request_id":"g-1","status":"OK",'
        '"payload":{"images":[{"url":"u"}],"seed":3}}'
    )


def test_error_status_keeps_the_apps_error_body() -> None:
    detail = {"detail": [{"loc": ["body", "prompt"], "msg": "field required", "type": "missing"}]}
    body = json.loads(build_webhook_body("r-1", "r-1", 422, detail, None))
    assert body == {
        "request_id": "r-1",
        "gateway_request_id": "r-1",
        "status": "ERROR",
        "error": "Invalid status code: 422",
        "payload": detail,
    }
    assert list(body) == ["request_id", "gateway_request_id", "status", "error", "payload"]


def test_platform_failure_without_output_reports_the_error_as_detail() -> None:
    body = json.loads(build_webhook_body("r-1", "r-1", None, None, "Runner crashed"))
    assert body["status"] == "ERROR"
    assert body["error"] == "Invalid status code: 500"
    assert body["payload"] == {"detail": "Runner crashed"}


def test_unserialisable_output_becomes_payload_error() -> None:
    body = json.loads(build_webhook_body("r-1", "r-1", 200, {"x": float("nan")}, None))
    assert body["status"] == "OK"
    assert body["payload"] is None
    assert body["payload_error"] == PAYLOAD_ERROR


def test_non_ascii_is_escaped_so_bytes_never_depend_on_an_encoder() -> None:
    body = build_webhook_body("r-1", "r-1", 201, {"caption": "café"}, None)
    assert body.isascii()
    assert json.loads(body)["payload"] == {"caption": "café"}
