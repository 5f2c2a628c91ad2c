"""fal's log bodies, field for field (Platform API: Serverless > Logs)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LogCondition(BaseModel):
    """One filter of the request body: ``key`` compared with ``value``."""

    model_config = ConfigDict(extra="ignore")  # fal's schema allows other properties

    key: str = Field(max_length=256, description="A label or a line's field")
    value: str | list[str] = Field(description="A value, or values for in / not_in")
    condition_type: Literal["equals", "in", "not_equals", "not_in"] | None = Field(
        default=None, description="equals by default (in for a list)"
    )


class LogItem(BaseModel):
    timestamp: str = Field(description="When the line was written (ISO 8601, UTC)")
    level: str = Field(description="DEBUG, INFO, WARN, ERROR, STDOUT or STDERR")
    message: str
    app: str = Field(description="The app that wrote it, owner/name")
    revision: str = Field(description="The app's live revision; empty for a built-in app")
    labels: dict[str, str] = Field(
        default_factory=dict, description="request_id, endpoint_id, source and the line's own"
    )


class LogPage(BaseModel):
    next_cursor: str | None = Field(description="Cursor for the next (older) page, null if none")
    has_more: bool
    items: list[LogItem]
