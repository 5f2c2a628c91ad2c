"""Scenario's model object and envelopes, filled from catalog entries."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from impasto.keys.schemas import iso_z
from impasto.models import CatalogEntry

# fal-style categories to Scenario capabilities.
CAPABILITIES = {
    "text-to-image": "txt2img",
    "image-to-image": "img2img",
    "inpainting": "inpaint",
    "outpainting": "outpaint",
    "text-to-video": "txt2video",
    "image-to-video": "img2video",
    "video-to-video": "video2video",
    "image-to-3d": "img23d",
    "text-to-audio": "txt2audio",
    "text-to-speech": "txt2audio",
}


class Thumbnail(BaseModel):
    url: str


class ScenarioModel(BaseModel):
    id: str
    name: str
    shortDescription: str
    type: str
    privacy: str
    status: str
    source: str
    capabilities: list[str]
    custom: bool
    tags: list[str]
    collectionIds: list[str]
    exampleAssetIds: list[str]
    trainingImagesNumber: int
    createdAt: str
    updatedAt: str
    authorId: str
    ownerId: str
    thumbnail: Thumbnail | None
    onGPU: bool
    score: int
    blacklisted: bool


class ModelListResponse(BaseModel):
    models: list[ScenarioModel]
    nextPaginationToken: str | None = None


class ModelResponse(BaseModel):
    model: ScenarioModel


class GetBulkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    modelIds: list[str] = Field(min_length=1, max_length=50)
    minimal: bool = False
    thumbnail: bool = True
    trainingImagesPreview: bool = False
    allTrainingImages: bool = False
    settings: bool = False


def scenario_model(entry: CatalogEntry, *, blacklisted: bool) -> ScenarioModel:
    capability = CAPABILITIES.get(entry.category)
    return ScenarioModel(
        id=entry.endpoint_id,
        name=entry.display_name,
        shortDescription=entry.description[:256],
        type=entry.type or "custom",
        privacy=entry.privacy,
        status=entry.status,
        source="other",
        capabilities=[capability] if capability else [],
        custom=False,
        tags=list(entry.tags),
        collectionIds=list(entry.collections),
        exampleAssetIds=[],
        trainingImagesNumber=0,
        createdAt=iso_z(entry.created_at),
        updatedAt=iso_z(entry.updated_at),
        authorId=entry.owner,
        ownerId=entry.owner,
        thumbnail=Thumbnail(url=entry.thumbnail_url) if entry.thumbnail_url else None,
        onGPU=entry.loaded,
        score=entry.request_count,
        blacklisted=blacklisted,
    )


def minimal(model: ScenarioModel) -> dict[str, Any]:
    """``minimal=true`` in get-bulk: id, name and type only."""
    return {"id": model.id, "name": model.name, "type": model.type}
