"""Catalog rules: who sees and manages what, the three modes of fal's model search, prices.

No FastAPI here; endpoints translate HTTP to these calls and these results to wire shapes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy.orm import Session

from impasto.catalog.cards import ModelCard
from impasto.catalog.entries import apply, new_entry
from impasto.catalog.repository import CatalogRepository
from impasto.catalog.search.listing import BrowseQuery, conditions, sort_keys
from impasto.catalog.search.query import SearchQuery
from impasto.catalog.spec import (
    CATEGORY_PATTERN,
    EntryFields,
    EntrySpec,
    PriceSpec,
    is_endpoint_id,
    owner_of,
)
from impasto.kit.clock import Clock
from impasto.kit.comma_lists import split_commas
from impasto.kit.cursors import Cursors, KeyType
from impasto.kit.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from impasto.kit.search_text import query_terms
from impasto.models import CatalogBlacklist, CatalogEntry, CatalogFavorite

MAX_IDS = 50
MAX_QUERY_LENGTH = 256
_CATEGORY = re.compile(CATEGORY_PATTERN)
Outcome = Literal["created", "updated", "unchanged"]
SEARCH_KEY: list[KeyType] = ["int", "bool", "bool", "int", "str"]
BROWSE_KEY: dict[str, list[KeyType]] = {
    "created_at": ["datetime", "str"],
    "updated_at": ["datetime", "str"],
    "popularity": ["int", "str"],
}


@dataclass(frozen=True, slots=True)
class ModelQuery:
    """fal's ``GET /v1/models`` parameters, already parsed."""

    viewer: str | None
    endpoint_ids: Sequence[str] | None = None
    q: str | None = None
    category: str | None = None
    status: str | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class ModelHit:
    entry: CatalogEntry
    is_favorited: bool | None


@dataclass(frozen=True, slots=True)
class ModelPage:
    models: list[ModelHit]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class CardPage:
    """A page of fal's model list: what it shows of each entry, and the next cursor."""

    models: list[ModelCard]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Prices:
    priced: list[CatalogEntry]
    unpriced: list[str]


@dataclass(frozen=True, slots=True)
class Estimate:
    total_cost: float
    currency: str


class CatalogService:
    def __init__(self, session: Session, clock: Clock, *, operator: str) -> None:
        self._repo = CatalogRepository(session)
        self._clock = clock
        # The operator's owner (IMPASTO_BOOTSTRAP_OWNER) may manage every entry.
        self._operator = operator

    # writing entries

    def upsert(self, spec: EntrySpec) -> tuple[CatalogEntry, Outcome]:
        """Create or merge: fields the spec gives win, the rest keep their values. Used by
        the importer and by app registration; a repeated upsert is a no-op."""
        now = self._clock.now()
        entry = self._repo.get(spec.endpoint_id)
        if entry is None:
            self._repo.ensure_account(owner_of(spec.endpoint_id), now)
            entry = new_entry(spec, now)
            self._repo.add(entry)
            outcome: Outcome = "created"
        elif apply(entry, spec, now):
            self._repo.flush()
            outcome = "updated"
        else:
            return entry, "unchanged"
        self._sync_links(entry)
        return entry, outcome

    def register_endpoint(
        self,
        endpoint_id: str,
        input_schema: dict[str, Any] | None,
        output_schema: dict[str, Any] | None,
        **metadata: Any,
    ) -> CatalogEntry:
        """What deployed apps call: their endpoint and its real input/output schemas."""
        spec = EntrySpec.model_validate(
            {
                "endpoint_id": endpoint_id,
                "input_schema": input_schema,
                "output_schema": output_schema,
                **metadata,
            }
        )
        return self.upsert(spec)[0]

    def create(self, spec: EntrySpec, *, actor: str) -> CatalogEntry:
        self._check_may_manage(actor, owner_of(spec.endpoint_id))
        if self._repo.get(spec.endpoint_id) is not None:
            raise Conflict(f"model {spec.endpoint_id} already exists; update it instead")
        return self.upsert(spec)[0]

    def update(self, endpoint_id: str, fields: EntryFields, *, actor: str) -> CatalogEntry:
        entry = self._managed(endpoint_id, actor)
        apply(entry, fields, self._clock.now())
        self._repo.flush()
        self._sync_links(entry)
        return entry

    def delete(self, endpoint_id: str, *, actor: str | None) -> None:
        entry = self._managed(endpoint_id, actor)
        self._repo.delete(entry)

    def set_price(self, endpoint_id: str, price: PriceSpec | None, *, actor: str | None) -> None:
        entry = self._managed(endpoint_id, actor)
        entry.price_unit = price.unit if price else None
        entry.price_unit_price = price.unit_price if price else None
        entry.price_currency = price.currency if price else None
        entry.updated_at = self._clock.now()
        self._repo.flush()

    def get_managed(self, endpoint_id: str, *, actor: str) -> CatalogEntry:
        return self._managed(endpoint_id, actor)

    def record_requests(self, endpoint_id: str, n: int = 1) -> None:
        """Popularity comes from real traffic: the runs work calls this as requests finish."""
        if n > 0:
            self._repo.add_requests(endpoint_id, n)

    def set_loaded(self, endpoint_id: str, loaded: bool) -> None:
        """Whether a runner for the endpoint is up now (Scenario's ``onGPU``)."""
        self._repo.set_loaded(endpoint_id, loaded)

    # per-owner marks

    def favorite(self, viewer: str, endpoint_id: str, on: bool) -> None:
        entry = self._visible(viewer, endpoint_id)
        self._repo.set_mark(CatalogFavorite, viewer, entry.id, on, self._clock.now())

    def blacklist(self, viewer: str, endpoint_id: str, on: bool) -> None:
        entry = self._visible(viewer, endpoint_id)
        self._repo.set_mark(CatalogBlacklist, viewer, entry.id, on, self._clock.now())

    # reading

    def visible(self, viewer: str | None, endpoint_ids: Sequence[str]) -> list[CatalogEntry]:
        """The named entries the viewer may see, in the order asked for."""
        wanted = [i for i in dict.fromkeys(endpoint_ids) if is_endpoint_id(i)]
        if not wanted:
            return []
        rows = self._repo.search_raw(
            SearchQuery(viewer=viewer, endpoint_ids=wanted, limit=len(wanted))
        )
        entries = self._repo.by_ids([row[0] for row in rows])
        by_endpoint = {entry.endpoint_id: entry for entry in entries.values()}
        return [by_endpoint[i] for i in wanted if i in by_endpoint]

    def entries(self, endpoint_ids: Sequence[str]) -> list[CatalogEntry]:
        """Whole entries for ids already shown to the caller (their OpenAPI documents)."""
        return self._repo.get_many(endpoint_ids)

    def get_visible(self, viewer: str | None, endpoint_id: str) -> CatalogEntry:
        return self._visible(viewer, endpoint_id)

    def may_call(self, caller: str, endpoint_id: str) -> bool:
        """Whether ``caller`` may run the endpoint: the rule of ``visible`` for one id,
        as one primary-key read (this is on every submit's path)."""
        found = self._repo.visibility(endpoint_id)
        return found is not None and self._may_see_as(caller, *found)

    def favorites_of(self, viewer: str | None, entries: Sequence[CatalogEntry]) -> set[int]:
        if viewer is None:
            return set()
        return self._repo.favorited(viewer, [entry.id for entry in entries])

    def find_models(self, query: ModelQuery, cursors: Cursors) -> CardPage:
        ids = _split_ids(query.endpoint_ids)
        q = (query.q or "").strip()
        if len(q) > MAX_QUERY_LENGTH:
            raise InvalidRequest(f"q must be at most {MAX_QUERY_LENGTH} characters")
        category = query.category.strip().lower() if query.category else None
        searching = bool(q) or category is not None or query.status is not None
        if ids is not None and not searching:
            return self._find(query.viewer, ids, query.limit, query.cursor, cursors)
        terms = query_terms(q)
        fingerprint = {
            "mode": "search",
            "viewer": query.viewer,
            "terms": terms,
            "category": category,
            "status": query.status,
            "ids": sorted(ids) if ids is not None else None,
        }
        after = cursors.read(query.cursor, fingerprint, SEARCH_KEY) if query.cursor else None
        valid_ids = [i for i in ids if is_endpoint_id(i)] if ids is not None else None
        if (
            (q and not terms)  # only punctuation
            or (category is not None and not _CATEGORY.fullmatch(category))
            or valid_ids == []
        ):
            return CardPage(models=[], next_cursor=None)  # nothing can match
        search = SearchQuery(
            viewer=query.viewer,
            terms=terms,
            category=category,
            status=query.status,
            endpoint_ids=valid_ids,
            limit=query.limit + 1,
            after=after,
        )
        rows = self._repo.search_raw(search)
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        cards = self._repo.cards([row[0] for row in rows], query.viewer)
        next_cursor = cursors.issue(fingerprint, list(rows[-1][1:])) if more else None
        return CardPage([cards[row[0]] for row in rows if row[0] in cards], next_cursor)

    def prices(self, viewer: str, endpoint_ids: Sequence[str]) -> Prices:
        ids = _split_ids(endpoint_ids) or []
        entries = self.visible(viewer, ids)
        missing = [i for i in ids if i not in {entry.endpoint_id for entry in entries}]
        if missing or not ids:
            raise NotFound(f"no such model: {', '.join(missing) or '(no endpoint_id given)'}")
        priced = [entry for entry in entries if entry.price_unit_price is not None]
        unpriced = [entry.endpoint_id for entry in entries if entry.price_unit_price is None]
        return Prices(priced=priced, unpriced=unpriced)

    def estimate(
        self,
        viewer: str,
        estimate_type: Literal["historical_api_price", "unit_price"],
        quantities: dict[str, float],
    ) -> Estimate:
        """Quantity x unit price per endpoint. Without usage history a call is taken to be one
        billing unit; an endpoint with no price is an error, never a guess."""
        if not quantities:
            raise InvalidRequest("endpoints must name at least one endpoint")
        if len(quantities) > MAX_IDS:
            raise InvalidRequest(f"endpoints may name at most {MAX_IDS} endpoints")
        prices = self.prices(viewer, list(quantities))
        if prices.unpriced:
            raise InvalidRequest(
                f"no price is set for {', '.join(prices.unpriced)}; cannot estimate "
                f"({estimate_type})"
            )
        currencies = {entry.price_currency for entry in prices.priced}
        if len(currencies) != 1:
            raise InvalidRequest(
                f"endpoints are priced in several currencies: {sorted(str(c) for c in currencies)}"
            )
        total = sum(
            (
                Decimal(repr(entry.price_unit_price)) * Decimal(repr(quantities[entry.endpoint_id]))
                for entry in prices.priced
            ),
            Decimal(0),
        )
        return Estimate(total_cost=float(round(total, 6)), currency=currencies.pop() or "USD")

    def browse(self, query: BrowseQuery, cursors: Cursors) -> ModelPage:
        """Scenario-style listing: one privacy level, a sort, filters, keyset pages."""
        fingerprint = query.fingerprint()
        types = BROWSE_KEY[query.sort]
        after = cursors.read(query.cursor, fingerprint, types) if query.cursor else None
        keys = sort_keys(query)
        rows = self._repo.scan(conditions(query), keys, after, query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        next_cursor = None
        if more:
            last = rows[-1]
            value = {"created_at": last.created_at, "updated_at": last.updated_at}.get(
                query.sort, last.request_count
            )
            next_cursor = cursors.issue(fingerprint, [value, last.endpoint_id])
        return ModelPage(models=self._hits(query.viewer, rows), next_cursor=next_cursor)

    def blacklisted_of(self, viewer: str, entries: Sequence[CatalogEntry]) -> set[int]:
        return self._repo.blacklisted(viewer, [entry.id for entry in entries])

    # helpers

    def _find(
        self, viewer: str | None, ids: list[str], limit: int, cursor: str | None, cursors: Cursors
    ) -> CardPage:
        """Lookup mode: the requested ids in the order given, paged by position."""
        fingerprint = {"mode": "find", "viewer": viewer, "ids": ids}
        start = cursors.read(cursor, fingerprint, ["int"])[0] if cursor else 0
        if start < 0 or start > len(ids):
            raise InvalidRequest("cursor is not one this server issued")
        wanted = [i for i in ids[start:] if is_endpoint_id(i)]
        rows = (
            self._repo.search_raw(
                SearchQuery(viewer=viewer, endpoint_ids=wanted, limit=len(wanted))
            )
            if wanted
            else []
        )
        cards = self._repo.cards([row[0] for row in rows], viewer)
        by_endpoint = {card.endpoint_id: card for card in cards.values()}
        remaining = [by_endpoint[i] for i in ids[start:] if i in by_endpoint]
        page = remaining[:limit]
        next_cursor = None
        if len(remaining) > limit:
            position = {endpoint_id: index for index, endpoint_id in enumerate(ids)}
            next_cursor = cursors.issue(fingerprint, [position[page[-1].endpoint_id] + 1])
        return CardPage(models=page, next_cursor=next_cursor)

    def _hits(self, viewer: str | None, entries: list[CatalogEntry]) -> list[ModelHit]:
        favorites = self.favorites_of(viewer, entries)
        return [
            ModelHit(entry=entry, is_favorited=(entry.id in favorites) if viewer else None)
            for entry in entries
        ]

    def _visible(self, viewer: str | None, endpoint_id: str) -> CatalogEntry:
        found = self.visible(viewer, [endpoint_id])
        if not found:
            raise NotFound(f"model {endpoint_id} not found")
        return found[0]

    def _managed(self, endpoint_id: str, actor: str | None) -> CatalogEntry:
        entry = self._repo.get(endpoint_id) if is_endpoint_id(endpoint_id) else None
        if entry is None or (actor is not None and not self._may_see(actor, entry)):
            raise NotFound(f"model {endpoint_id} not found")
        if actor is not None:
            self._check_may_manage(actor, entry.owner)
        return entry

    def _may_see(self, actor: str, entry: CatalogEntry) -> bool:
        return self._may_see_as(actor, entry.privacy, entry.owner)

    def _may_see_as(self, actor: str, privacy: str, owner: str) -> bool:
        return privacy != "private" or actor in (owner, self._operator)

    def _check_may_manage(self, actor: str, owner: str) -> None:
        if actor not in (owner, self._operator):
            raise PermissionDenied(
                f"models of owner {owner!r} are managed by that owner or the operator"
            )

    def _sync_links(self, entry: CatalogEntry) -> None:
        self._repo.replace_tags(entry.id, entry.tags)
        self._repo.replace_collections(entry.id, entry.collections)


def _split_ids(values: Sequence[str] | None) -> list[str] | None:
    """Repeated values or comma lists, 1-50 distinct ids, in the order given."""
    if values is None:
        return None
    ids = list(dict.fromkeys(split_commas(values)))
    if len(ids) > MAX_IDS:
        raise InvalidRequest(f"endpoint_id accepts at most {MAX_IDS} ids, got {len(ids)}")
    return ids
