"""``GET /scenario/v1/assets``: Scenario's listing parameters, their rules, and the page.

Scenario sorts by ``createdAt`` (default) or ``updatedAt`` in either direction and filters by
creation dates, the model that produced an asset (``modelId``) and lineage
(``parentAssetId``: outputs of requests that took that asset as an input; ``rootAssetId``:
every descendant, transitively). Every query is scoped to the caller's owner; the
``paginationToken`` is a keyset cursor bound to its parameters, like the Platform API's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from impasto.assets.repository import AssetRepository
from impasto.kit.cursors import Cursors
from impasto.kit.db.keyset import order_by, sort_after
from impasto.kit.errors import InvalidRequest, NotFound
from impasto.models import Asset, AssetRunLink
from impasto.scenario.params import parse_bool, parse_choice, parse_date

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
# A lineage walk stops at this depth or this many descendants; deeper trees are cut.
MAX_LINEAGE_DEPTH = 16
MAX_DESCENDANTS = 10_000
SORTS = {"createdAt": "created_at", "updatedAt": "updated_at"}


@dataclass(frozen=True, slots=True)
class RawAssetParams:
    """Query parameters as received (strings), before the rules are applied."""

    sort_by: str | None = None
    sort_direction: str | None = None
    created_after: str | None = None
    created_before: str | None = None
    model_id: str | None = None
    parent_asset_id: str | None = None
    root_asset_id: str | None = None
    privacy: str | None = None
    page_size: str | None = None
    pagination_token: str | None = None
    original_assets: str | None = None


@dataclass(frozen=True, slots=True)
class ScenarioAssetQuery:
    owner: str
    sort: str = "created_at"
    descending: bool = True
    created_after: datetime | None = None
    created_before: datetime | None = None
    model_id: str | None = None
    parent_asset_id: str | None = None
    root_asset_id: str | None = None
    page_size: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None

    def fingerprint(self) -> dict[str, Any]:
        return {
            "surface": "scenario",
            "sort": self.sort,
            "desc": self.descending,
            "after": self.created_after,
            "before": self.created_before,
            "model": self.model_id,
            "parent": self.parent_asset_id,
            "root": self.root_asset_id,
        }


def asset_query(raw: RawAssetParams, owner: str) -> ScenarioAssetQuery:
    """Apply Scenario's rules; the first violated one answers 400."""
    privacy = parse_choice("privacy", raw.privacy, ("private", "public", "unlisted"))
    if privacy not in (None, "private"):
        raise InvalidRequest(
            f"privacy={privacy} is not offered here: assets are private to their owner"
        )
    sort_by = parse_choice("sortBy", raw.sort_by, tuple(SORTS)) or "createdAt"
    direction = parse_choice("sortDirection", raw.sort_direction, ("asc", "desc")) or "desc"
    if (raw.created_after or raw.created_before) and sort_by != "createdAt":
        raise InvalidRequest("createdAfter and createdBefore need sortBy=createdAt")
    parse_bool("originalAssets", raw.original_assets)  # every URL here is the original
    try:
        page_size = int(raw.page_size) if raw.page_size is not None else DEFAULT_PAGE_SIZE
    except ValueError as exc:
        raise InvalidRequest("pageSize must be an integer") from exc
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"pageSize must be between 1 and {MAX_PAGE_SIZE}")
    after = parse_date("createdAfter", raw.created_after)
    before = parse_date("createdBefore", raw.created_before)
    if after is not None and before is not None and after >= before:
        raise InvalidRequest("createdAfter must be earlier than createdBefore")
    return ScenarioAssetQuery(
        owner=owner,
        sort=SORTS[sort_by],
        descending=direction == "desc",
        created_after=after,
        created_before=before,
        model_id=raw.model_id,
        parent_asset_id=raw.parent_asset_id,
        root_asset_id=raw.root_asset_id,
        page_size=page_size,
        cursor=raw.pagination_token,
    )


def _children(session: Session, owner: str, parents: set[int]) -> set[int]:
    """Outputs of the requests that took any of ``parents`` as an input (owner's only)."""
    link = AssetRunLink.__table__.c
    requests = select(link.request_id).where(
        link.asset_pk.in_(sorted(parents)), link.role == "input"
    )
    rows = session.execute(
        select(link.asset_pk)
        .join(Asset, Asset.id == link.asset_pk)
        .where(Asset.owner == owner, link.role == "output", link.request_id.in_(requests))
    ).scalars()
    return set(rows)


def _lineage(session: Session, owner: str, asset_id: str, *, transitive: bool) -> set[int]:
    origin = AssetRepository(session).get(owner, asset_id)
    if origin is None:
        raise NotFound("Asset not found")
    found: set[int] = set()
    frontier = {origin.id}
    for _ in range(MAX_LINEAGE_DEPTH if transitive else 1):
        frontier = _children(session, owner, frontier) - found - {origin.id}
        if not frontier:
            break
        found |= frontier
        if len(found) >= MAX_DESCENDANTS:
            break
    return found


def conditions(session: Session, query: ScenarioAssetQuery) -> list[ColumnElement[bool]]:
    a = Asset.__table__.c
    where: list[ColumnElement[bool]] = [a.owner == query.owner]
    if query.created_after is not None:
        where.append(a.created_at > query.created_after)
    if query.created_before is not None:
        where.append(a.created_at < query.created_before)
    if query.model_id is not None:
        where.append(a.endpoint_id == query.model_id)
    for asset_id, transitive in ((query.parent_asset_id, False), (query.root_asset_id, True)):
        if asset_id is not None:
            pks = _lineage(session, query.owner, asset_id, transitive=transitive)
            where.append(a.id.in_(sorted(pks)))
    return where


def list_assets(
    session: Session, query: ScenarioAssetQuery, *, cursors: Cursors
) -> tuple[list[Asset], str | None]:
    """One page in the asked order, and the token of the next one (None at the end)."""
    a = Asset.__table__.c
    column = a.updated_at if query.sort == "updated_at" else a.created_at
    keys: list[tuple[ColumnElement[Any], bool]] = [
        (column, query.descending),
        (a.id, query.descending),
    ]
    statement = select(Asset).where(*conditions(session, query))
    if query.cursor is not None:
        position = cursors.read(query.cursor, query.fingerprint(), ["datetime", "int"])
        statement = statement.where(sort_after(keys, position))
    rows = AssetRepository(session).page(
        statement.order_by(*order_by(keys)).limit(query.page_size + 1)
    )
    page = rows[: query.page_size]
    token = None
    if len(rows) > query.page_size:
        last = page[-1]
        value = last.updated_at if query.sort == "updated_at" else last.created_at
        token = cursors.issue(query.fingerprint(), [value, last.id])
    return page, token
