"""Catalog rows in and out. No HTTP here, no business rules: the service decides."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from impasto.catalog.cards import ModelCard, card, cards_statement
from impasto.catalog.search import walk
from impasto.catalog.search.query import (
    SearchQuery,
    low_field_ceiling,
    ranked_ids,
    term_params,
)
from impasto.kit.db.keyset import order_by, sort_after
from impasto.models import (
    Account,
    CatalogBlacklist,
    CatalogCollection,
    CatalogEntry,
    CatalogFavorite,
    CatalogTag,
)


class CatalogRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def dialect(self) -> str:
        return self._session.get_bind().dialect.name

    # entries

    def ensure_account(self, name: str, now: datetime) -> None:
        if self._session.get(Account, name) is None:
            self._session.add(Account(name=name, created_at=now))
            self._session.flush()

    def get(self, endpoint_id: str) -> CatalogEntry | None:
        return self._session.scalar(
            select(CatalogEntry).where(CatalogEntry.endpoint_id == endpoint_id)
        )

    def get_many(self, endpoint_ids: Sequence[str]) -> list[CatalogEntry]:
        if not endpoint_ids:
            return []
        return list(
            self._session.scalars(
                select(CatalogEntry).where(CatalogEntry.endpoint_id.in_(list(endpoint_ids)))
            )
        )

    def by_ids(self, ids: Sequence[int]) -> dict[int, CatalogEntry]:
        if not ids:
            return {}
        rows = self._session.scalars(select(CatalogEntry).where(CatalogEntry.id.in_(list(ids))))
        return {row.id: row for row in rows}

    def cards(self, ids: Sequence[int], viewer: str | None) -> dict[int, ModelCard]:
        """What a model page shows of these entries, with the viewer's favorite flags."""
        if not ids:
            return {}
        rows = self._session.execute(cards_statement(ids, viewer))
        return {row[0]: card(row) for row in rows}

    def add(self, entry: CatalogEntry) -> None:
        self._session.add(entry)
        self._session.flush()

    def flush(self) -> None:
        self._session.flush()

    def delete(self, entry: CatalogEntry) -> None:
        # Children first: SQLite enforces ON DELETE CASCADE only with foreign_keys=ON, and
        # being explicit keeps the ORM's identity map honest too.
        for model in (CatalogTag, CatalogCollection, CatalogFavorite, CatalogBlacklist):
            self._session.execute(delete(model).where(model.entry_id == entry.id))
        self._session.delete(entry)
        self._session.flush()

    def replace_tags(self, entry_id: int, tags: Iterable[str]) -> None:
        self._session.execute(delete(CatalogTag).where(CatalogTag.entry_id == entry_id))
        self._session.add_all(CatalogTag(entry_id=entry_id, tag=tag) for tag in tags)
        self._session.flush()

    def replace_collections(self, entry_id: int, collections: Iterable[str]) -> None:
        self._session.execute(
            delete(CatalogCollection).where(CatalogCollection.entry_id == entry_id)
        )
        self._session.add_all(
            CatalogCollection(entry_id=entry_id, collection_id=collection)
            for collection in collections
        )
        self._session.flush()

    def visibility(self, endpoint_id: str) -> tuple[str, str] | None:
        """``(privacy, owner)`` of an entry: all a call's permission check reads, without
        loading the whole entry and its schemas."""
        row = self._session.connection().execute(_VISIBILITY, {"endpoint": endpoint_id})
        found = row.first()
        return None if found is None else (found.privacy, found.owner)

    def add_requests(self, endpoint_id: str, n: int) -> bool:
        """One Core statement (every completed request runs it); an entry this session
        holds is expired, as the ORM's own update would have refreshed it."""
        result = self._session.connection().execute(
            _ADD_REQUESTS, {"endpoint": endpoint_id, "n": n}
        )
        for held in list(self._session.identity_map.values()):
            if isinstance(held, CatalogEntry) and held.endpoint_id == endpoint_id:
                self._session.expire(held, ["request_count"])
        return bool(result.rowcount)

    def set_loaded(self, endpoint_id: str, loaded: bool) -> bool:
        result = self._session.execute(
            update(CatalogEntry)
            .where(CatalogEntry.endpoint_id == endpoint_id)
            .values(loaded=loaded)
        )
        return bool(getattr(result, "rowcount", 0))

    # search

    def search_raw(self, query: SearchQuery) -> list[tuple[Any, ...]]:
        """The ranked search alone: ``(id, score, pinned, highlighted, request_count,
        endpoint_id)`` rows in result order. Benchmarks time this against the HTTP path."""
        dialect = self.dialect
        terms = list(query.terms)
        params = term_params(terms)
        if terms and query.endpoint_ids is None:
            if walk.sparse(self._session, dialect, terms):
                return self._rows(ranked_ids(dialect, query), params)
            # Common words: the page is near the head of the list order (walk.py).
            page = walk.head(self._session, dialect, query)
            if page is not None:
                return page
        if dialect == "sqlite" and terms:
            # The head of the order often lies entirely in rows that hit name, id or tags:
            # if that cheap query fills the page, it is the page (search.low_field_ceiling).
            ceiling = low_field_ceiling(len(terms))
            if query.after is None or query.after[0] > ceiling:
                statement = ranked_ids(dialect, query, scope="high", above=ceiling)
                rows = self._rows(statement, params)
                if len(rows) >= query.limit:
                    return rows
        return self._rows(ranked_ids(dialect, query), params)

    def _rows(self, statement: Select[Any], params: dict[str, str]) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._session.execute(statement, params)]

    def scan(
        self,
        conditions: Sequence[ColumnElement[bool]],
        keys: Sequence[tuple[ColumnElement[Any], bool]],
        after: Sequence[Any] | None,
        limit: int,
    ) -> list[CatalogEntry]:
        """Entries matching ``conditions`` in ``keys`` order, after a keyset position."""
        statement = select(CatalogEntry).where(*conditions)
        if after is not None:
            statement = statement.where(sort_after(keys, after))
        return list(self._session.scalars(statement.order_by(*order_by(keys)).limit(limit)))

    # favorites and blacklist

    def favorited(self, owner: str, entry_ids: Sequence[int]) -> set[int]:
        if not entry_ids:
            return set()
        rows = self._session.scalars(
            select(CatalogFavorite.entry_id).where(
                CatalogFavorite.owner == owner, CatalogFavorite.entry_id.in_(list(entry_ids))
            )
        )
        return set(rows)

    def blacklisted(self, owner: str, entry_ids: Sequence[int]) -> set[int]:
        if not entry_ids:
            return set()
        rows = self._session.scalars(
            select(CatalogBlacklist.entry_id).where(
                CatalogBlacklist.owner == owner, CatalogBlacklist.entry_id.in_(list(entry_ids))
            )
        )
        return set(rows)

    def set_mark(
        self,
        model: type[CatalogFavorite] | type[CatalogBlacklist],
        owner: str,
        entry_id: int,
        on: bool,
        now: datetime,
    ) -> None:
        existing = self._session.get(model, (owner, entry_id))
        if on and existing is None:
            self._session.add(model(owner=owner, entry_id=entry_id, created_at=now))
        elif not on and existing is not None:
            self._session.delete(existing)
        self._session.flush()


def _entries() -> Table:
    table = CatalogEntry.__table__
    assert isinstance(table, Table)
    return table


_ENTRIES = _entries()
# Built once: these run on every request, where building and cache-keying a statement
# each time cost more than executing it.
_VISIBILITY = select(_ENTRIES.c.privacy, _ENTRIES.c.owner).where(
    _ENTRIES.c.endpoint_id == bindparam("endpoint")
)
_ADD_REQUESTS = (
    update(_ENTRIES)
    .where(_ENTRIES.c.endpoint_id == bindparam("endpoint"))
    .values(request_count=_ENTRIES.c.request_count + bindparam("n", type_=Integer()))
)
