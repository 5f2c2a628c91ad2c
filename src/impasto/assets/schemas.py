"""Wire shapes of fal's Assets operations (``reference/fal-platform-openapi.json``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_serializer

from impasto.assets.search.browse import MAX_COUNT
from impasto.kit.fields import JsonObject, NotBlankText, Text, storable

MediaType = Literal["image", "video", "audio", "3d"]
# fal's filter lists upload and response; assets of a request's input files are
# "request", as their items say, and filter the same way.
Source = Literal["upload", "request", "response"]
Section = Literal["all-media", "uploads", "favorites", "generated"]
TagMode = Literal["any", "all"]
CollectionType = Literal["manual", "smart", "character"]
Id = Field(min_length=1, max_length=64)
# A character's handle is made of its ASCII letters, digits and '_', '.', '-'; it needs one
# of the first.
Handle = Annotated[
    str,
    Field(pattern=r"^[^\x00-\x1f\x7f]*[A-Za-z0-9_][^\x00-\x1f\x7f]*$"),
    AfterValidator(storable),
]


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Tag(_Out):
    id: str
    name: str
    created_at: datetime | None

    @field_serializer("created_at")
    def _created(self, value: datetime | None) -> str | None:
        return _iso(value) if value else None


class AssetOut(_Out):
    asset_id: str | None
    vector_id: str
    request_id: str | None
    url: str | None
    type: MediaType
    title: str
    endpoint: str | None
    created_at: datetime | None
    source: str | None
    prompt: str | None
    width: float | None
    height: float | None
    content_type: str | None
    is_favorited: bool
    collection_ids: list[str]
    tags: list[Tag]
    similarity: float | None
    # Impasto extension: a small WebP of an image or a video's frame, once indexed; the
    # studio's grid loads these instead of the full files.
    thumbnail_url: str | None = None

    @field_serializer("created_at")
    def _created(self, value: datetime | None) -> str | None:
        return _iso(value) if value else None


class AssetList(BaseModel):
    assets: list[AssetOut]
    next_cursor: str | None
    has_more: bool
    total_count: int | None = Field(
        description=f"Exact total when available: null past {MAX_COUNT:,} assets on a browse page,"
        " and for a search whose candidate list was cut (with scope_truncated)"
    )
    scope_truncated: bool


class AssetEnvelope(BaseModel):
    asset: AssetOut


class TagList(BaseModel):
    tags: list[Tag]


class TagEnvelope(BaseModel):
    tag: Tag


class Favorited(BaseModel):
    is_favorited: bool


class Success(BaseModel):
    success: bool = True


class CollectionOut(_Out):
    id: str
    type: CollectionType
    name: str
    description: str | None
    icon: str | None
    color: str | None
    cover_image_url: str | None
    character_identifier: str | None
    parent_collection_id: str | None
    is_favorited: bool
    filters: Any = None
    asset_count: int | None
    created_at: datetime
    updated_at: datetime

    @field_serializer("created_at", "updated_at")
    def _times(self, value: datetime) -> str:
        return _iso(value)


class CharacterOut(CollectionOut):
    type: Literal["character"]
    reference_images: list[str]


class CollectionEnvelope(BaseModel):
    collection: CollectionOut


class CollectionList(BaseModel):
    collections: list[CollectionOut]


class CharacterEnvelope(BaseModel):
    character: CharacterOut


class CharacterList(BaseModel):
    characters: list[CharacterOut]


class Node(BaseModel):
    id: str
    name: str
    type: CollectionType
    children: list[Node]


class Ancestor(BaseModel):
    id: str
    name: str
    type: CollectionType


class Hierarchy(BaseModel):
    hierarchy: Node
    ancestors: list[Ancestor]


class Lineage(BaseModel):
    lineage: dict[str, Any]


# -- request bodies -----------------------------------------------------------------------

_NAMED_TARGET: list[dict[str, Any]] = [
    {"required": [name], "properties": {name: {"type": "string"}}}
    for name in ("asset_id", "request_id", "vector_id")
]
_ONE_TARGET: dict[str, Any] = {"minProperties": 1, "maxProperties": 1, "oneOf": _NAMED_TARGET}
_SOME_TARGET: dict[str, Any] = {"oneOf": _NAMED_TARGET}


class TargetBody(BaseModel):
    """Exactly one of ``asset_id``, ``request_id``, ``vector_id``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_ONE_TARGET)

    asset_id: Text | None = Field(default=None, min_length=1, max_length=64)
    request_id: Text | None = Field(default=None, min_length=1, max_length=64)
    vector_id: Text | None = Field(default=None, min_length=1, max_length=64)


class SetTagsBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_SOME_TARGET)

    asset_id: Text | None = Field(default=None, min_length=1, max_length=64)
    request_id: Text | None = Field(default=None, min_length=1, max_length=64)
    vector_id: Text | None = Field(default=None, min_length=1, max_length=64)
    tag_ids: list[Text] = Field(max_length=100)


class TagBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NotBlankText = Field(min_length=1, max_length=50)


class TagPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NotBlankText | None = Field(default=None, min_length=1, max_length=50)


class UploadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[
        str, Field(pattern=r"^https?://[^\s\x00-\x1f\x7f]+$"), AfterValidator(storable)
    ] = Field(min_length=1, max_length=2048)
    type: MediaType
    prompt: Text | None = Field(default=None, min_length=1, max_length=2000)
    collection_id: Text | None = Field(default=None, max_length=64)
    favorite: bool = False
    tag_ids: list[Text] = Field(default_factory=list, max_length=100)


class CollectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=255)
    description: Text | None = Field(default=None, max_length=2000)
    icon: Text | None = Field(default=None, max_length=255)
    color: Text | None = Field(default=None, max_length=64)
    cover_image_url: Text | None = Field(default=None, max_length=2048)
    parent_collection_id: Text | None = Field(default=None, min_length=1, max_length=64)
    filters: JsonObject | None = None


class CollectionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text | None = Field(default=None, min_length=1, max_length=255)
    description: Text | None = Field(default=None, max_length=2000)
    icon: Text | None = Field(default=None, max_length=255)
    color: Text | None = Field(default=None, max_length=64)
    cover_image_url: Text | None = Field(default=None, max_length=2048)
    filters: JsonObject | None = None


class MoveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parent_collection_id: Text | None = Field(min_length=1, max_length=64)


class CharacterCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=255)
    identifier: Handle | None = Field(default=None, max_length=64)
    description: Text = Field(min_length=1, max_length=2000)
    reference_images: list[Text] = Field(max_length=50)
    cover_image_url: Text | None = Field(default=None, max_length=2048)


class CharacterPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text | None = Field(default=None, min_length=1, max_length=255)
    description: Text | None = Field(default=None, min_length=1, max_length=2000)
    reference_images: list[Text] | None = Field(default=None, max_length=50)
    cover_image_url: Text | None = Field(default=None, max_length=2048)
