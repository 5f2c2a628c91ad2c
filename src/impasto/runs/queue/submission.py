"""A request on its way into the queue: what a submit writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class NewRequest:
    """Everything a submit decides about a new request; the repository adds the state
    every new request starts in (IN_QUEUE, no attempt yet, no result)."""

    request_id: str
    owner: str
    key_id: str | None
    endpoint_id: str
    app_id: str
    path: str
    mode: str  # queue | sync | stream | ws | realtime
    priority: int  # 0 normal, 1 low
    input: Any  # the caller's JSON payload; None is stored as JSON null
    headers: dict[str, str]
    store_io: bool
    base_url: str
    runner_hint: str | None
    webhook_url: str | None
    start_deadline: datetime | None
    max_attempts: int
    created_at: datetime
    # A node of a workflow run: the run's request and the node's id in its definition.
    parent_request_id: str | None = None
    node_id: str | None = None
