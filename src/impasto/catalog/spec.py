"""What an operator or an app may say about an endpoint: validated once, used by the importer,
the admin endpoints and the runs work's automatic registration alike."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from impasto.kit.fields import JsonObject, Text, storable
from impasto.kit.names import split_namespace

# owner/app[/path...]: the owner follows kit/names.py, app and path segments fal's ids; or
# a workflow, workflows/owner/name with fal's workflow names.
ENDPOINT_ID_PATTERN = (
    r"^([a-z0-9][a-z0-9_-]{0,62}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){1,8}"
    r"|workflows/[a-z0-9][a-z0-9_-]{0,62}/[A-Za-z0-9_-]{1,128})$"
)
_ENDPOINT_ID = re.compile(ENDPOINT_ID_PATTERN)
MAX_ENDPOINT_ID_LENGTH = 255
CATEGORY_PATTERN = r"^([a-z0-9][a-z0-9-]{0,99})?$"
TAG_PATTERN = r"^[^,\x00-\x1f\x7f]{1,64}$"
COLLECTION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
TYPE_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
MAX_TAGS = 32
MAX_COLLECTIONS = 64

Status = Literal["active", "deprecated"]
Privacy = Literal["public", "private", "unlisted"]
LicenseType = Literal["commercial", "research", "private"]
Kind = Literal["inference", "training"]


def is_endpoint_id(value: str) -> bool:
    return len(value) <= MAX_ENDPOINT_ID_LENGTH and _ENDPOINT_ID.fullmatch(value) is not None


def owner_of(endpoint_id: str) -> str:
    return (split_namespace(endpoint_id)[1] or [""])[0]


def _check_endpoint_id(value: str) -> str:
    if not is_endpoint_id(value):
        raise ValueError(
            "must be owner/app[/path]: a lowercase owner (letters, digits, '-', '_'), then "
            "1-8 segments of letters, digits, '.', '-' or '_', at most 255 characters"
        )
    return value


EndpointId = Annotated[
    str,
    Field(max_length=MAX_ENDPOINT_ID_LENGTH, pattern=ENDPOINT_ID_PATTERN),
    AfterValidator(_check_endpoint_id),
]
Url = Annotated[Text, Field(max_length=2048)]
Tag = Annotated[str, Field(pattern=TAG_PATTERN), AfterValidator(storable)]
CollectionId = Annotated[str, Field(pattern=COLLECTION_PATTERN)]


class Group(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Annotated[Text, Field(min_length=1, max_length=100)]
    label: Annotated[Text, Field(min_length=1, max_length=255)]


class EntryFields(BaseModel):
    """Every settable field, all optional: the shape of an update."""

    model_config = ConfigDict(extra="forbid")

    display_name: Annotated[Text, Field(min_length=1, max_length=255)] | None = None
    category: Annotated[str, Field(pattern=CATEGORY_PATTERN)] | None = None
    description: Annotated[Text, Field(max_length=10_000)] | None = None
    status: Status | None = None
    tags: Annotated[list[Tag], Field(max_length=MAX_TAGS)] | None = None
    thumbnail_url: Url | None = None
    thumbnail_animated_url: Url | None = None
    github_url: Url | None = None
    license_type: LicenseType | None = None
    group: Group | None = None
    kind: Kind | None = None
    training_endpoint_ids: Annotated[list[EndpointId], Field(max_length=50)] | None = None
    inference_endpoint_ids: Annotated[list[EndpointId], Field(max_length=50)] | None = None
    stream_url: Url | None = None
    duration_estimate: Annotated[float, Field(ge=0, le=1e9)] | None = None
    highlighted: bool | None = None
    pinned: bool | None = None
    date: datetime | None = None
    privacy: Privacy | None = None
    type: Annotated[str, Field(pattern=TYPE_PATTERN)] | None = None
    collections: Annotated[list[CollectionId], Field(max_length=MAX_COLLECTIONS)] | None = None
    input_schema: JsonObject | None = None
    output_schema: JsonObject | None = None

    @field_validator("date")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("date is out of range") from exc

    @field_validator("tags")
    @classmethod
    def _distinct_tags(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        return list(dict.fromkeys(tag.strip() for tag in value if tag.strip()))

    @field_validator("collections")
    @classmethod
    def _distinct_collections(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(dict.fromkeys(value))

    @field_validator("duration_estimate")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class EntrySpec(EntryFields):
    """A whole entry, as imported or created; unset fields take their defaults."""

    endpoint_id: EndpointId


class PriceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: Annotated[Text, Field(min_length=1, max_length=64)] = Field(
        description="Billing unit, e.g. 'image', 'video', 'second'"
    )
    unit_price: float = Field(ge=0, le=1e9, description="Price per unit")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 code")

    @field_validator("unit_price")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value
