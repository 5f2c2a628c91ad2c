"""fal's ``GET /v1/assets``: the scope (filters), then a date-ordered page or a hybrid search.

Browse pages walk ``(created_at, id)`` descending with a keyset cursor. A search fuses its
legs' ranked lists into at most ``MAX_CANDIDATES`` assets (100 for the first pages) and
pages through them by offset; its cursor carries the offset. Either cursor is bound to its
query: reused with other parameters it is a 400 (``kit/cursors.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from impasto.assets.repository import AssetRepository
from impasto.assets.search.legs import Scope, SearchInput, SearchLeg, fuse, run_legs
from impasto.kit.cursors import NOT_OURS, Cursors
from impasto.kit.db.hints import plan_each_search
from impasto.kit.db.keyset import order_by, sort_after
from impasto.kit.errors import InvalidRequest, NotFound, ServiceUnavailable
from impasto.models import Asset, AssetCollectionItem, AssetTagLink

MAX_LIMIT = 100
MAX_CANDIDATES = 1000
SEARCH_DEPTHS = (100, MAX_CANDIDATES)
MAX_FILTER_VALUES = 50
# A browse page counts its scope up to this many assets (~8 ms on SQLite); past it the total
# is null ("unavailable" in fal's spec) rather than a full count of a large library.
MAX_COUNT = 100_000
SECTION_SOURCES = {"uploads": ("upload",), "generated": ("response",)}


@dataclass(frozen=True, slots=True)
class AssetQuery:
    owner: str
    limit: int = 50
    cursor: str | None = None
    q: str | None = None
    search_image_url: str | None = None
    search_video_url: str | None = None
    media_types: Sequence[str] = ()
    sources: Sequence[str] = ()
    section: str = "all-media"
    collection_id: str | None = None
    character_identifiers: Sequence[str] = ()
    tag_ids: Sequence[str] = ()
    tag_mode: str = "any"

    def fingerprint(self) -> dict[str, Any]:
        return {
            "q": self.q,
            "image": self.search_image_url,
            "video": self.search_video_url,
            "media": sorted(set(self.media_types)),
            "source": sorted(set(self.sources)),
            "section": self.section,
            "collection": self.collection_id,
            "characters": sorted({c.lower() for c in self.character_identifiers}),
            "tags": sorted(set(self.tag_ids)),
            "tag_mode": self.tag_mode,
        }

    @property
    def search_inputs(self) -> int:
        return sum(
            1 for v in (self.q, self.search_image_url, self.search_video_url) if v is not None
        )


@dataclass(slots=True)
class AssetPage:
    assets: list[Asset]
    similarity: dict[int, float | None] = field(default_factory=dict)
    next_cursor: str | None = None
    total_count: int | None = None
    scope_truncated: bool = False


def check(query: AssetQuery) -> None:
    if not 1 <= query.limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}")
    if query.search_inputs > 1:
        raise InvalidRequest("send at most one of q, search_image_url and search_video_url")
    for name, values in (
        ("tag_id", query.tag_ids),
        ("character_identifier", query.character_identifiers),
        ("media_type", query.media_types),
        ("source", query.sources),
    ):
        if len(values) > MAX_FILTER_VALUES:
            raise InvalidRequest(f"{name} accepts at most {MAX_FILTER_VALUES} values")


def filters(repo: AssetRepository, query: AssetQuery) -> list[ColumnElement[bool]]:
    """The filters besides the owner as SQL over ``assets``; unknown tag ids and
    collections are refused."""
    a = Asset.__table__.c
    conditions: list[ColumnElement[bool]] = []
    if query.media_types:
        conditions.append(a.media_type.in_(sorted(set(query.media_types))))
    if query.sources:
        conditions.append(a.source.in_(sorted(set(query.sources))))
    if query.section in SECTION_SOURCES:
        conditions.append(a.source.in_(SECTION_SOURCES[query.section]))
    elif query.section == "favorites":
        conditions.append(a.is_favorited.is_(True))
    if query.collection_id is not None:
        collection = repo.collection(query.owner, query.collection_id)
        if collection is None:
            raise NotFound("Collection not found")
        conditions.append(_in_collections([collection.collection_id]))
    if query.character_identifiers:
        characters = repo.characters_by_handle(query.owner, query.character_identifiers)
        known = {(c.character_identifier or "").lower() for c in characters}
        missing = sorted({h.lower() for h in query.character_identifiers} - known)
        if missing:
            raise NotFound(f"Character not found: {', '.join(missing[:5])}")
        conditions.append(_in_collections([c.collection_id for c in characters]))
    if query.tag_ids:
        wanted = sorted(set(query.tag_ids))
        owned = repo.owned_tags(query.owner, wanted)
        unknown = [t for t in wanted if t not in owned]
        if unknown:
            raise NotFound(f"Tag not found: {', '.join(unknown[:5])}")
        conditions.append(_tagged(wanted, every=query.tag_mode == "all"))
    return conditions


def _in_collections(collection_ids: list[str]) -> ColumnElement[bool]:
    item = AssetCollectionItem.__table__.c
    return exists().where(
        item.asset_pk == Asset.__table__.c.id, item.collection_id.in_(collection_ids)
    )


def _tagged(tag_ids: list[str], *, every: bool) -> ColumnElement[bool]:
    link = AssetTagLink.__table__.c
    asset_pk = Asset.__table__.c.id
    if not every:
        return exists().where(link.asset_pk == asset_pk, link.tag_id.in_(tag_ids))
    matched = (
        select(func.count())
        .where(link.asset_pk == asset_pk, link.tag_id.in_(tag_ids))
        .scalar_subquery()
    )
    return matched == len(tag_ids)


def listing(
    session: Session, query: AssetQuery, *, cursors: Cursors, max_count: int = MAX_COUNT
) -> AssetPage:
    """A browse page, newest first; its total is counted up to ``max_count``, null past it."""
    repo = AssetRepository(session)
    a = Asset.__table__.c
    conditions = [a.owner == query.owner, *filters(repo, query)]
    keys: list[tuple[ColumnElement[Any], bool]] = [(a.created_at, True), (a.id, True)]
    statement = select(Asset).where(*conditions)
    if query.cursor is not None:
        position = cursors.read(query.cursor, query.fingerprint(), ["datetime", "int"])
        statement = statement.where(sort_after(keys, position))
    rows = repo.page(statement.order_by(*order_by(keys)).limit(query.limit + 1))
    counted = repo.count(conditions, at_most=max_count + 1)
    page = AssetPage(rows[: query.limit], total_count=counted if counted <= max_count else None)
    if len(rows) > query.limit:
        last = page.assets[-1]
        page.next_cursor = cursors.issue(query.fingerprint(), [last.created_at, last.id])
    return page


def search_depth(reach: int) -> int:
    """How many hits each leg is asked for, to serve results up to rank ``reach``.

    A fixed tier, not ``reach`` itself: the pages served from one tier come from the same
    fused list, so they neither repeat nor skip a hit (a page crossing rank 100 is cut from
    the deeper list, where the hits near that rank may be ordered otherwise). The first
    pages ask for 100: pgvector walks its graph with ``ef_search`` of at least that count."""
    return next((tier for tier in SEARCH_DEPTHS if tier >= reach), MAX_CANDIDATES)


def search(
    session: Session,
    query: AssetQuery,
    search_input: SearchInput,
    legs: Sequence[SearchLeg],
    *,
    cursors: Cursors,
) -> AssetPage:
    repo = AssetRepository(session)
    scope = Scope(query.owner, filters(repo, query))
    usable = [leg for leg in legs if leg.accepts(search_input)]
    if not usable:
        raise InvalidRequest(
            "image and video search need an image embedder, and none is configured"
        )
    offset = 0
    if query.cursor is not None:
        [offset] = cursors.read(query.cursor, query.fingerprint(), ["int"])
        if not 0 <= offset <= MAX_CANDIDATES:
            raise InvalidRequest(NOT_OURS)
    depth = search_depth(offset + query.limit)
    plan_each_search(session)
    results = run_legs(session, scope, search_input, usable, depth)
    if not results:  # only vector legs could answer, and no embedder can run here
        raise ServiceUnavailable("no embedder that could answer this search can run here")
    fused = fuse(results)
    truncated = any(result.truncated for _, result in results) or len(fused) > depth
    fused = fused[:depth]
    window = fused[offset : offset + query.limit]
    rows = repo.by_pks([hit.asset_pk for hit in window])
    page = AssetPage(
        [rows[hit.asset_pk] for hit in window if hit.asset_pk in rows],
        similarity={hit.asset_pk: hit.similarity for hit in window},
        total_count=None if truncated else len(fused),
        scope_truncated=truncated,
    )
    if offset + query.limit < len(fused):
        page.next_cursor = cursors.issue(query.fingerprint(), [offset + query.limit])
    return page
