"""Wire shapes of fal's Keys operations (``GET/POST /v1/keys``, ``DELETE /v1/keys/{id}``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer
from pydantic.json_schema import SkipJsonSchema

from impasto.keys.service import MAX_ALIAS_LENGTH


def iso_z(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, as fal's examples show."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class CreateKeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alias: str = Field(
        min_length=1,
        max_length=MAX_ALIAS_LENGTH,
        description="Required friendly name for the API key",
        examples=["Production Key"],
    )


class CreatedKey(BaseModel):
    key_id: str = Field(description="Unique identifier for the newly created API key")
    key_secret: str = Field(description="Secret portion of the API key, shown only once")
    key: str = Field(description="Full API key in the format 'key_id:key_secret'")


class KeyInfo(BaseModel):
    key_id: str
    alias: str
    scope: Literal["API"] = Field(description="Only API scope keys are managed here")
    created_at: datetime
    creator_nickname: str | SkipJsonSchema[None] = Field(
        default=None,
        description="Who created the key; present only with expand=creator_info",
    )

    @field_serializer("created_at")
    def _created_at(self, value: datetime) -> str:
        return iso_z(value)


class KeyList(BaseModel):
    next_cursor: str | None
    has_more: bool
    keys: list[KeyInfo]
