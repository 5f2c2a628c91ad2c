"""Browse listings (Scenario's façade): filters and sort orders as SQL conditions.

Every sort ends with the endpoint id in the same direction, so the keyset position is a
(value, endpoint_id) pair and pages stay correct while entries come and go.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, select

from impasto.models import CatalogBlacklist, CatalogCollection, CatalogEntry, CatalogTag

BrowseSort = Literal["created_at", "updated_at", "popularity"]
Privacy = Literal["public", "private", "unlisted"]


@dataclass(frozen=True, slots=True)
class BrowseQuery:
    viewer: str
    privacy: Privacy
    sort: BrowseSort
    descending: bool = True
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    collection_ids: Sequence[str] | None = None
    tags: Sequence[str] | None = None
    types: Sequence[str] | None = None
    status: str | None = None
    loaded_only: bool = False
    blacklisted: bool = False
    limit: int = 100
    cursor: str | None = None

    def fingerprint(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in self.__slots__ if name != "cursor"}
        values.pop("limit")
        return {"mode": "browse", **values}


def sort_keys(query: BrowseQuery) -> list[tuple[ColumnElement[Any], bool]]:
    c = CatalogEntry.__table__.c
    first = {
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "popularity": c.request_count,
    }[query.sort]
    return [(first, query.descending), (c.endpoint_id, query.descending)]


def conditions(query: BrowseQuery) -> list[ColumnElement[bool]]:
    c = CatalogEntry.__table__.c
    # public: everyone's public entries; private and unlisted: the viewer's own.
    where: list[ColumnElement[bool]] = [c.privacy == query.privacy]
    if query.privacy != "public":
        where.append(c.owner == query.viewer)
    for column, bound, after in (
        (c.created_at, query.created_after, True),
        (c.created_at, query.created_before, False),
        (c.updated_at, query.updated_after, True),
        (c.updated_at, query.updated_before, False),
    ):
        if bound is not None:
            where.append(column > bound if after else column < bound)  # exclusive, as Scenario
    if query.collection_ids:
        where.append(
            c.id.in_(
                select(CatalogCollection.entry_id).where(
                    CatalogCollection.collection_id.in_(list(query.collection_ids))
                )
            )
        )
    if query.tags:
        where.append(
            c.id.in_(select(CatalogTag.entry_id).where(CatalogTag.tag.in_(list(query.tags))))
        )
    if query.types:
        where.append(c.type.in_(list(query.types)))
    if query.status is not None:
        where.append(c.status == query.status)
    if query.loaded_only:
        where.append(c.loaded.is_(True))
    mine = select(CatalogBlacklist.entry_id).where(CatalogBlacklist.owner == query.viewer)
    where.append(c.id.in_(mine) if query.blacklisted else c.id.not_in(mine))
    return where
