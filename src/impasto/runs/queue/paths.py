"""Reading queue paths the way fal's clients build them (§1.3, §2.1).

Status, result and cancel URLs carry ``owner/app`` and then ``requests/{id}``; fal's own
per-model documents put the endpoint's sub-path in between, and fal's SDK adds trailing
slashes. All of these name the same request.
"""

from __future__ import annotations

from dataclasses import dataclass

from impasto.kit.names import split_namespace

ACTIONS = {"": "result", "response": "result", "status": "status", "cancel": "cancel"}


@dataclass(frozen=True)
class RequestPath:
    app_id: str
    request_id: str
    action: str  # result | status | stream | cancel


def parse_request_path(path: str) -> RequestPath | None:
    """``[namespace/]owner/app[/sub...]/requests/{id}[/status[/stream]|/cancel|/response]``,
    or None."""
    namespace, parts = split_namespace(path)
    if len(parts) < 4 or "requests" not in parts[2:]:
        return None
    at = len(parts) - 1 - parts[::-1].index("requests")
    if at < 2 or at + 1 >= len(parts):
        return None
    app_id = f"{parts[0]}/{parts[1]}" if namespace is None else f"{namespace}/{parts[0]}/{parts[1]}"
    request_id = parts[at + 1]
    rest = parts[at + 2 :]
    if rest == ["status", "stream"]:
        action = "stream"
    elif len(rest) <= 1 and (rest[0] if rest else "") in ACTIONS:
        action = ACTIONS[rest[0] if rest else ""]
    else:
        return None
    return RequestPath(app_id=app_id, request_id=request_id, action=action)


def queue_urls(base: str, app_id: str, request_id: str) -> dict[str, str]:
    root = f"{base.rstrip('/')}/queue/{app_id}/requests/{request_id}"
    return {
        "response_url": root,
        "status_url": f"{root}/status",
        "cancel_url": f"{root}/cancel",
    }
