"""Scenario's asset object, its search body and envelopes, filled from asset views.

Field names follow Scenario's API (``reference/peers.md`` §1.6). What the store does not
keep (NSFW labels, edit capabilities, seeds) is present and empty, so clients that read
those fields keep working. ``thumbnail`` carries the WebP the indexer makes for images and
video posters; fal's Asset schema has no place for it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from impasto.assets.views import AssetView
from impasto.keys.schemas import iso_z

# How each source of ours reads as Scenario's ``metadata.type``.
METADATA_TYPES = {"upload": "uploaded", "request": "inference-input", "response": "inference"}


class AssetThumbnail(BaseModel):
    url: str


class AssetProperties(BaseModel):
    size: int | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    dimensions: list[int] | None = None


class AssetMetadata(BaseModel):
    type: str
    name: str
    fileName: str
    prompt: str | None = None
    modelId: str | None = None
    width: int | None = None
    height: int | None = None
    parentJobId: str | None = None


class ScenarioAsset(BaseModel):
    id: str
    authorId: str
    ownerId: str
    collectionIds: list[str]
    createdAt: str
    updatedAt: str
    kind: str
    mimeType: str | None
    privacy: str = "private"
    tags: list[str]
    nsfw: list[str] = Field(default_factory=list)
    url: str | None
    thumbnail: AssetThumbnail | None
    description: str | None
    editCapabilities: list[str] = Field(default_factory=list)
    properties: AssetProperties
    metadata: AssetMetadata


class ScenarioHit(ScenarioAsset):
    score: float | None = None


class AssetListResponse(BaseModel):
    assets: list[ScenarioAsset]
    nextPaginationToken: str | None = None


class ImagesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    like: list[str] = Field(default_factory=list, max_length=10)
    unlike: list[str] = Field(default_factory=list, max_length=10)


class AssetSearchRequest(BaseModel):
    """``POST /search/assets``: Meilisearch-like paging and a hybrid ratio."""

    model_config = ConfigDict(extra="forbid")

    query: str | None = Field(default=None, max_length=512)
    querySemanticRatio: float = Field(default=0.5, ge=0, le=1)
    image: str | None = Field(default=None, max_length=48 << 20)
    images: ImagesQuery | None = None
    imageSemanticRatio: float = Field(default=1.0, ge=0, le=1)
    filter: str | None = Field(default=None, max_length=2048)
    sortBy: list[str] | None = Field(default=None, max_length=4)
    limit: int | None = Field(default=None, ge=1, le=100)
    offset: int | None = Field(default=None, ge=0)
    page: int | None = Field(default=None, ge=1)
    hitsPerPage: int | None = Field(default=None, ge=1, le=100)
    public: bool = False


class OffsetSearchResponse(BaseModel):
    hits: list[ScenarioHit]
    query: str
    limit: int
    offset: int
    estimatedTotalHits: int


class PagedSearchResponse(BaseModel):
    hits: list[ScenarioHit]
    query: str
    page: int
    hitsPerPage: int
    totalHits: int
    totalPages: int


SearchResponse = OffsetSearchResponse | PagedSearchResponse
Paging = Literal["offset", "page"]


def scenario_asset(view: AssetView) -> dict[str, Any]:
    """The asset as Scenario shows it (a dict, so a hit can add its ``score``)."""
    dimensions = [view.width, view.height] if view.width and view.height else None
    updated = view.updated_at or view.created_at
    return {
        "id": view.asset_id,
        "authorId": view.owner,
        "ownerId": view.owner,
        "collectionIds": list(view.collection_ids),
        "createdAt": iso_z(view.created_at),
        "updatedAt": iso_z(updated),
        "kind": view.type,
        "mimeType": view.content_type,
        "tags": [tag.name for tag in view.tags],
        "url": view.url,
        "thumbnail": {"url": view.thumbnail_url} if view.thumbnail_url else None,
        "description": view.title,
        "properties": {
            "size": view.size,
            "duration": view.duration,
            "width": view.width,
            "height": view.height,
            "dimensions": dimensions,
        },
        "metadata": {
            "type": METADATA_TYPES.get(view.source, view.source),
            "name": view.title,
            "fileName": view.file_name,
            "prompt": view.prompt,
            "modelId": view.endpoint,
            "width": view.width,
            "height": view.height,
            "parentJobId": view.request_id,
        },
    }
