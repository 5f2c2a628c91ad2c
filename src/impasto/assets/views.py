"""Assets and collections as the API shows them: detached from the session, URLs built."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from impasto.assets.repository import AssetRepository
from impasto.files.urls import file_url
from impasto.models import Asset, AssetCollection, AssetTag


@dataclass(frozen=True, slots=True)
class TagView:
    id: str
    name: str
    created_at: datetime

    @classmethod
    def of(cls, tag: AssetTag) -> TagView:
        return cls(id=tag.tag_id, name=tag.name, created_at=tag.created_at)


@dataclass(frozen=True, slots=True)
class AssetView:
    asset_id: str
    vector_id: str
    request_id: str | None
    url: str | None
    type: str
    title: str
    endpoint: str | None
    created_at: datetime
    source: str
    prompt: str | None
    width: int | None
    height: int | None
    content_type: str | None
    is_favorited: bool
    collection_ids: list[str]
    tags: list[TagView]
    similarity: float | None
    # Beyond fal's shape (Scenario's façade shows them).
    thumbnail_url: str | None = None
    size: int | None = None
    duration: float | None = None
    file_name: str = ""
    owner: str = ""
    updated_at: datetime | None = None


def asset_url(asset: Asset, base: str) -> str | None:
    if asset.file_id is not None:
        return file_url(base, asset.file_id, asset.file_name)
    return asset.url


def asset_views(
    repo: AssetRepository,
    assets: Sequence[Asset],
    base: str,
    similarity: dict[int, float | None] | None = None,
) -> list[AssetView]:
    pks = [asset.id for asset in assets]
    tags = repo.tags_of(pks)
    collections = repo.collections_of(pks)
    similarity = similarity or {}
    return [
        AssetView(
            asset_id=a.asset_id,
            vector_id=a.asset_id,
            request_id=a.request_id,
            url=asset_url(a, base),
            type=a.media_type,
            title=a.title,
            endpoint=a.endpoint_id,
            created_at=a.created_at,
            source=a.source,
            prompt=a.prompt,
            width=a.width,
            height=a.height,
            content_type=a.content_type,
            is_favorited=a.is_favorited,
            collection_ids=collections.get(a.id, []),
            tags=[TagView.of(t) for t in tags.get(a.id, [])],
            similarity=similarity.get(a.id),
            thumbnail_url=(
                file_url(base, a.thumbnail_file_id, "thumbnail.webp")
                if a.thumbnail_file_id
                else None
            ),
            size=a.size,
            duration=a.duration,
            file_name=a.file_name,
            owner=a.owner,
            updated_at=a.updated_at,
        )
        for a in assets
    ]


@dataclass(frozen=True, slots=True)
class CollectionView:
    id: str
    type: str
    name: str
    description: str | None
    icon: str | None
    color: str | None
    cover_image_url: str | None
    character_identifier: str | None
    parent_collection_id: str | None
    is_favorited: bool
    filters: Any
    asset_count: int
    created_at: datetime
    updated_at: datetime
    reference_images: list[str] = field(default_factory=list)


def collection_views(
    repo: AssetRepository, collections: Sequence[AssetCollection]
) -> list[CollectionView]:
    counts = repo.asset_counts([c.collection_id for c in collections])
    return [
        CollectionView(
            id=c.collection_id,
            type=c.type,
            name=c.name,
            description=c.description,
            icon=c.icon,
            color=c.color,
            cover_image_url=c.cover_image_url,
            character_identifier=c.character_identifier,
            parent_collection_id=c.parent_id,
            is_favorited=c.is_favorited,
            filters=c.filters,
            asset_count=counts.get(c.collection_id, 0),
            created_at=c.created_at,
            updated_at=c.updated_at,
            reference_images=list(c.reference_images or []),
        )
        for c in collections
    ]
