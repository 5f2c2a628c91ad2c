"""The model catalog: one row per callable endpoint id, plus tags, collections, favorites,
per-owner blacklists. The full-text index (FTS5 on SQLite, a GIN tsvector index on
PostgreSQL) lives in the migration only: it is dialect-specific and not a table SQLAlchemy
needs to know about (``docs/architecture/catalog-search.md``).
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
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from impasto.kit.db.types import UTCDateTime
from impasto.models.base import Base


class CatalogEntry(Base):
    __tablename__ = "catalog_entries"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'deprecated')", name="status"),
        CheckConstraint("privacy IN ('public', 'private', 'unlisted')", name="privacy"),
        Index(None, "owner", "endpoint_id"),
        Index(None, "created_at", "endpoint_id"),
        Index(None, "updated_at", "endpoint_id"),
        Index(None, "request_count", "endpoint_id"),
    )

    # Integer key: the FTS5 index refers to rows by rowid.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(String(255), unique=True)
    owner: Mapped[str] = mapped_column(ForeignKey("accounts.name", ondelete="CASCADE"))

    # fal's metadata
    display_name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    tags: Mapped[list[str]] = mapped_column(JSON)
    thumbnail_url: Mapped[str] = mapped_column(String(2048))
    thumbnail_animated_url: Mapped[str | None] = mapped_column(String(2048))
    github_url: Mapped[str | None] = mapped_column(String(2048))
    license_type: Mapped[str | None] = mapped_column(String(16))
    group_key: Mapped[str | None] = mapped_column(String(100))
    group_label: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str | None] = mapped_column(String(16))
    training_endpoint_ids: Mapped[list[str]] = mapped_column(JSON)
    inference_endpoint_ids: Mapped[list[str]] = mapped_column(JSON)
    stream_url: Mapped[str | None] = mapped_column(String(2048))
    duration_estimate: Mapped[float | None] = mapped_column(Float)
    highlighted: Mapped[bool] = mapped_column(Boolean)
    pinned: Mapped[bool] = mapped_column(Boolean)
    date: Mapped[datetime] = mapped_column(UTCDateTime())

    # Scenario's filters
    privacy: Mapped[str] = mapped_column(String(16))
    type: Mapped[str | None] = mapped_column(String(64))
    collections: Mapped[list[str]] = mapped_column(JSON)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    request_count: Mapped[int] = mapped_column(BigInteger)
    loaded: Mapped[bool] = mapped_column(Boolean)

    input_schema: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    output_schema: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    price_unit: Mapped[str | None] = mapped_column(String(64))
    price_unit_price: Mapped[float | None] = mapped_column(Float)
    price_currency: Mapped[str | None] = mapped_column(String(3))

    # Normalised " tok tok " copies of the searchable fields: the full-text index covers
    # them and relevance is scored on them identically on both databases.
    search_name: Mapped[str] = mapped_column(Text)
    search_id: Mapped[str] = mapped_column(Text)
    search_tags: Mapped[str] = mapped_column(Text)
    search_category: Mapped[str] = mapped_column(Text)
    search_description: Mapped[str] = mapped_column(Text)


class CatalogTag(Base):
    """Exact tags for filtering (the entry keeps its display order in ``tags``)."""

    __tablename__ = "catalog_tags"
    __table_args__ = (Index(None, "tag", "entry_id"),)

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_entries.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)


class CatalogCollection(Base):
    __tablename__ = "catalog_collections"
    __table_args__ = (Index(None, "collection_id", "entry_id"),)

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_entries.id", ondelete="CASCADE"), primary_key=True
    )
    collection_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class CatalogFavorite(Base):
    __tablename__ = "catalog_favorites"

    owner: Mapped[str] = mapped_column(
        ForeignKey("accounts.name", ondelete="CASCADE"), primary_key=True
    )
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_entries.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CatalogBlacklist(Base):
    """Models an owner has hidden from its own Scenario listings."""

    __tablename__ = "catalog_blacklist"

    owner: Mapped[str] = mapped_column(
        ForeignKey("accounts.name", ondelete="CASCADE"), primary_key=True
    )
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_entries.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# The order of list and filter-only pages (pinned, highlighted, popularity, then id), so the
# first page of the catalog is an index walk rather than a sort of every visible row.
Index(
    "ix_catalog_entries_list_order",
    CatalogEntry.pinned.desc(),
    CatalogEntry.highlighted.desc(),
    CatalogEntry.request_count.desc(),
    CatalogEntry.endpoint_id,
)
# The same order within one category: fal's category filter without q.
Index(
    "ix_catalog_entries_category_order",
    CatalogEntry.category,
    CatalogEntry.pinned.desc(),
    CatalogEntry.highlighted.desc(),
    CatalogEntry.request_count.desc(),
    CatalogEntry.endpoint_id,
)
