"""What a page of ``GET /v1/models`` shows of an entry, read with one Core select.

A search or list page is up to 100 entries, on every call. Loading them as ORM objects,
then asking for the caller's favorites in a second statement, cost more than the search
itself for most pages (``bench/README.md``); a plain select of the shown columns, with the
favorite flag folded in as a subquery, does not. Everything else (prices, schemas,
administration) still goes through ``CatalogEntry``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, literal, select

from impasto.models import CatalogEntry, CatalogFavorite


@dataclass(frozen=True, slots=True)
class ModelCard:
    """One entry as fal's model list shows it; ``is_favorited`` is None for anonymous callers."""

    id: int
    endpoint_id: str
    display_name: str
    category: str
    description: str
    status: str
    tags: list[str]
    updated_at: datetime
    thumbnail_url: str
    thumbnail_animated_url: str | None
    github_url: str | None
    license_type: str | None
    group_key: str | None
    group_label: str | None
    kind: str | None
    training_endpoint_ids: list[str]
    inference_endpoint_ids: list[str]
    stream_url: str | None
    duration_estimate: float | None
    date: datetime
    highlighted: bool
    pinned: bool
    is_favorited: bool | None


_COLUMNS = [name for name in ModelCard.__slots__ if name != "is_favorited"]


def cards_statement(ids: Sequence[int], viewer: str | None) -> Select[Any]:
    entries = CatalogEntry.__table__.c
    if viewer is None:
        favorited: Any = literal(None)
    else:
        favorites = CatalogFavorite.__table__.c
        favorited = exists().where(favorites.owner == viewer, favorites.entry_id == entries.id)
    return select(*(entries[name] for name in _COLUMNS), favorited.label("is_favorited")).where(
        entries.id.in_(list(ids))
    )


def card(row: Sequence[Any]) -> ModelCard:
    values = list(row)
    if values[-1] is not None:
        values[-1] = bool(values[-1])
    return ModelCard(*values)
