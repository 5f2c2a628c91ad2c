"""The asset library: every upload and generated file of an owner, with its organisation.

``assets`` keeps an integer key for the full-text index (FTS5 refers to rows by rowid) and
a public ``asset_id``. Characters are collections of type ``character``; an asset belongs
to one through ``asset_collection_items`` (``how``: manual, mention or reference). The
full-text index (FTS5 on SQLite, GIN tsvector on PostgreSQL) lives in the migration only,
like the catalog's (``docs/architecture/assets.md``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from impasto.kit.db.types import UTCDateTime
from impasto.models.base import Base


class Asset(Base):
    __tablename__ = "assets"
    __table_args__ = (
        CheckConstraint("source IN ('upload', 'request', 'response')", name="source"),
        CheckConstraint("media_type IN ('image', 'video', 'audio', '3d')", name="media_type"),
        Index(None, "owner", "created_at", "id"),
        Index(None, "owner", "file_id"),
        Index(None, "owner", "request_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[str] = mapped_column(String(36), unique=True)
    owner: Mapped[str] = mapped_column(ForeignKey("accounts.name", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    media_type: Mapped[str] = mapped_column(String(8))
    # A file this server stores (its URL is built per request) or, for a URL saved from
    # elsewhere, the URL itself.
    file_id: Mapped[str | None] = mapped_column(String(36), default=None)
    file_name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(2048), default=None)
    content_type: Mapped[str | None] = mapped_column(String(255), default=None)
    size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    duration: Mapped[float | None] = mapped_column(Float, default=None)
    title: Mapped[str] = mapped_column(String(255))
    prompt: Mapped[str | None] = mapped_column(Text, default=None)
    request_id: Mapped[str | None] = mapped_column(String(36), default=None)
    endpoint_id: Mapped[str | None] = mapped_column(String(255), default=None)
    thumbnail_file_id: Mapped[str | None] = mapped_column(String(36), default=None)
    is_favorited: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Normalised " tok tok " text of title, prompt, file name and tag names: what the
    # keyword leg indexes and scores (kit/search_text.py).
    search_text: Mapped[str] = mapped_column(Text)


class AssetTag(Base):
    __tablename__ = "asset_tags"
    __table_args__ = (UniqueConstraint("owner", "name"),)

    tag_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(ForeignKey("accounts.name", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AssetTagLink(Base):
    __tablename__ = "asset_tag_links"
    __table_args__ = (Index(None, "tag_id", "asset_pk"),)

    asset_pk: Mapped[int] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[str] = mapped_column(
        ForeignKey("asset_tags.tag_id", ondelete="CASCADE"), primary_key=True
    )


class AssetCollection(Base):
    """A manual or smart collection, or a character (``type = 'character'``)."""

    __tablename__ = "asset_collections"
    __table_args__ = (
        CheckConstraint("type IN ('manual', 'smart', 'character')", name="type"),
        UniqueConstraint("owner", "character_identifier"),
        Index(None, "owner", "type", "created_at"),
        Index(None, "parent_id"),
    )

    collection_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(ForeignKey("accounts.name", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    icon: Mapped[str | None] = mapped_column(String(255), default=None)
    color: Mapped[str | None] = mapped_column(String(64), default=None)
    cover_image_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    # The @handle of a character; NULL for other collections.
    character_identifier: Mapped[str | None] = mapped_column(String(64), default=None)
    parent_id: Mapped[str | None] = mapped_column(String(36), default=None)
    filters: Mapped[Any | None] = mapped_column(JSON, default=None)
    reference_images: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_favorited: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AssetCollectionItem(Base):
    __tablename__ = "asset_collection_items"
    __table_args__ = (Index(None, "asset_pk"),)

    collection_id: Mapped[str] = mapped_column(
        ForeignKey("asset_collections.collection_id", ondelete="CASCADE"), primary_key=True
    )
    asset_pk: Mapped[int] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    how: Mapped[str] = mapped_column(String(16))  # manual | mention | reference
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AssetRunLink(Base):
    """An asset used as an input of, or produced by, a run request: the lineage graph."""

    __tablename__ = "asset_run_links"
    __table_args__ = (Index(None, "request_id", "role"),)

    asset_pk: Mapped[int] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    role: Mapped[str] = mapped_column(String(8), primary_key=True)  # input | output
    endpoint_id: Mapped[str | None] = mapped_column(String(255), default=None)
    prompt: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AssetEmbedding(Base):
    """One vector of an asset in one embedder's space (several per video: its frames).

    Stored as little-endian float32 bytes on both databases; an ANN index (pgvector,
    usearch, sqlite-vec) may be built beside it. Vectors of different spaces are never
    compared.
    """

    __tablename__ = "asset_embeddings"
    __table_args__ = (Index(None, "space", "asset_pk"),)

    asset_pk: Mapped[int] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    space: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # image | frame | text
    position: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    dimensions: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AssetIndexJob(Base):
    """Work queued for an asset (thumbnail, probe, embeddings); never done inline."""

    __tablename__ = "asset_index_jobs"
    __table_args__ = (Index(None, "status", "run_after", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_pk: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    # NULL: every step; else only that embedder space (a backfill).
    space: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(8))  # pending | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IdempotencyRecord(Base):
    """The answer to a mutating call made with an ``Idempotency-Key``, for its retries."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index(None, "created_at"),)

    owner: Mapped[str] = mapped_column(
        ForeignKey("accounts.name", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[Any | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
