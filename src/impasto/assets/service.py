"""Asset rules: get, browse and search, save a URL, favorites and tags, for one owner.

No FastAPI here. Every lookup is scoped to the caller's owner: another owner's asset, tag
or collection is simply not found (404), never revealed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from impasto.assets.ingest.uploads import AssetIngest, NewAsset
from impasto.assets.media import media_type_for
from impasto.assets.repository import AssetRepository
from impasto.assets.search import browse
from impasto.assets.search.keyword import search_text
from impasto.assets.search.legs import SearchInput, SearchLeg
from impasto.assets.views import AssetView, TagView, asset_views
from impasto.files.core import FileView
from impasto.kit.clock import Clock
from impasto.kit.cursors import Cursors
from impasto.kit.errors import Conflict, InvalidRequest, NotFound
from impasto.kit.ids import IdGenerator
from impasto.kit.text import is_storable
from impasto.models import Asset, AssetTag

MAX_TAGS_PER_CALL = 100


@dataclass(frozen=True, slots=True)
class Target:
    """What a mutating call names: exactly one of an asset, a request or a vector id."""

    asset_id: str | None = None
    request_id: str | None = None
    vector_id: str | None = None


@dataclass(frozen=True, slots=True)
class BrowseResult:
    assets: list[AssetView]
    next_cursor: str | None
    total_count: int | None
    scope_truncated: bool


class AssetService:
    def __init__(
        self,
        session: Session,
        clock: Clock,
        ids: IdGenerator,
        legs: Sequence[SearchLeg] = (),
    ) -> None:
        self.session = session
        self.repo = AssetRepository(session)
        self.clock = clock
        self.ids = ids
        self.legs = list(legs)

    # -- reading --------------------------------------------------------------------------

    def get(self, owner: str, asset_id: str, base: str) -> AssetView:
        return self.views([self._asset(owner, asset_id)], base)[0]

    def views(self, assets: Sequence[Asset], base: str) -> list[AssetView]:
        return asset_views(self.repo, assets, base)

    def browse(
        self,
        query: browse.AssetQuery,
        base: str,
        cursors: Cursors,
        search_input: SearchInput | None = None,
    ) -> BrowseResult:
        browse.check(query)
        if search_input is None and query.q is not None and query.q.strip():
            search_input = SearchInput(text=query.q)
        if search_input is None:
            page = browse.listing(self.session, query, cursors=cursors)
        else:
            page = browse.search(self.session, query, search_input, self.legs, cursors=cursors)
        views = asset_views(self.repo, page.assets, base, page.similarity)
        return BrowseResult(views, page.next_cursor, page.total_count, page.scope_truncated)

    def _asset(self, owner: str, asset_id: str) -> Asset:
        asset = self.repo.get(owner, asset_id)
        if asset is None:
            raise NotFound("Asset not found")
        return asset

    def resolve(self, owner: str, target: Target) -> Asset:
        named = [v for v in (target.asset_id, target.request_id, target.vector_id) if v]
        if len(named) != 1:
            raise InvalidRequest("send exactly one of asset_id, request_id and vector_id")
        if not is_storable(named[0]):
            # No stored id holds NUL or a lone surrogate (PostgreSQL could not even compare).
            raise NotFound("No asset has that id")
        if target.request_id is not None:
            asset = self.repo.by_request(owner, target.request_id)
            if asset is None:
                raise NotFound("No asset of that request was found")
            return asset
        return self._asset(owner, target.asset_id or target.vector_id or "")

    # -- saving and favorites -------------------------------------------------------------

    def save_url(
        self,
        owner: str,
        *,
        url: str,
        media_type: str,
        file: FileView | None,
        prompt: str | None,
        collection_id: str | None,
        favorite: bool,
        tag_ids: Sequence[str],
        base: str,
    ) -> AssetView:
        """fal's ``POST /v1/assets/uploads``: a URL (ours or not) becomes an ``upload`` asset.

        A file of ours that already is an asset is not duplicated: the call updates it.
        """
        now = self.clock.now()
        self.repo.ensure_account(owner, now)
        tags = self._owned_tags(owner, tag_ids)
        collection = None
        if collection_id is not None:
            collection = self.repo.collection(owner, collection_id)
            if collection is None:
                raise NotFound("Collection not found")
        asset = self.repo.by_file(owner, file.file_id) if file is not None else None
        if asset is None:
            if file is not None and media_type_for(file.content_type, file.file_name) not in (
                None,
                media_type,
            ):
                raise InvalidRequest(f"the file at url is not of type {media_type}")
            asset = AssetIngest(self.session, self.ids).create(
                NewAsset(
                    owner=owner,
                    source="upload",
                    media_type=media_type,
                    file_name=file.file_name if file else _name_of(url),
                    created_at=now,
                    file_id=file.file_id if file else None,
                    url=None if file else url,
                    content_type=file.content_type if file else None,
                    size=file.size if file else None,
                    prompt=prompt,
                )
            )
        elif prompt is not None:
            asset.prompt = prompt
            AssetIngest(self.session, self.ids).link_mentions(asset, prompt, now)
        asset.is_favorited = asset.is_favorited or favorite
        asset.updated_at = now
        for tag in tags:
            self.repo.link_tag(asset.id, tag.tag_id)
        if collection is not None:
            self.repo.put_item(collection.collection_id, asset.id, "manual", now)
        self.refresh_text(asset)
        return self.views([asset], base)[0]

    def favorite(self, owner: str, target: Target, value: bool) -> bool:
        asset = self.resolve(owner, target)
        asset.is_favorited = value
        asset.updated_at = self.clock.now()
        self.session.flush()
        return value

    def refresh_text(self, asset: Asset) -> None:
        names = [t.name for t in self.repo.tags_of([asset.id]).get(asset.id, [])]
        self.repo.set_search_text(
            asset, search_text(asset.title, asset.prompt, asset.file_name, names)
        )

    # -- tags -----------------------------------------------------------------------------

    def tags(self, owner: str) -> list[TagView]:
        return [TagView.of(tag) for tag in self.repo.tags(owner)]

    def tags_of(self, owner: str, asset_id: str) -> list[TagView]:
        asset = self._asset(owner, asset_id)
        return [TagView.of(t) for t in self.repo.tags_of([asset.id]).get(asset.id, [])]

    def create_tag(self, owner: str, name: str) -> TagView:
        name = _tag_name(name)
        now = self.clock.now()
        self.repo.ensure_account(owner, now)
        if self.repo.tag_named(owner, name) is not None:
            raise Conflict(f"A tag named {name!r} already exists")
        tag = AssetTag(tag_id=self.ids.new(), owner=owner, name=name, created_at=now)
        self.session.add(tag)
        self.session.flush()
        return TagView.of(tag)

    def rename_tag(self, owner: str, tag_id: str, name: str | None) -> TagView:
        tag = self._tag(owner, tag_id)
        if name is not None:
            name = _tag_name(name)
            other = self.repo.tag_named(owner, name)
            if other is not None and other.tag_id != tag.tag_id:
                raise Conflict(f"A tag named {name!r} already exists")
            tag.name = name
            self.session.flush()
            for asset in self.repo.assets_with_tag(tag.tag_id):
                self.refresh_text(asset)
        return TagView.of(tag)

    def delete_tag(self, owner: str, tag_id: str) -> None:
        tag = self._tag(owner, tag_id)
        assets = self.repo.assets_with_tag(tag.tag_id)
        self.repo.delete_tag(tag)
        for asset in assets:
            self.refresh_text(asset)

    def assign(self, owner: str, tag_id: str, target: Target, value: bool) -> None:
        tag = self._tag(owner, tag_id)
        asset = self.resolve(owner, target)
        if value:
            self.repo.link_tag(asset.id, tag.tag_id)
        else:
            self.repo.unlink_tag(asset.id, tag.tag_id)
        self.refresh_text(asset)

    def set_tags(self, owner: str, target: Target, tag_ids: Sequence[str]) -> list[TagView]:
        asset = self.resolve(owner, target)
        tags = self._owned_tags(owner, tag_ids)
        self.repo.clear_tags(asset.id)
        for tag in tags:
            self.repo.link_tag(asset.id, tag.tag_id)
        self.refresh_text(asset)
        return [TagView.of(t) for t in sorted(tags, key=lambda t: t.name)]

    def _tag(self, owner: str, tag_id: str) -> AssetTag:
        tag = self.repo.tag(owner, tag_id)
        if tag is None:
            raise NotFound("Tag not found")
        return tag

    def _owned_tags(self, owner: str, tag_ids: Sequence[str]) -> list[AssetTag]:
        if len(tag_ids) > MAX_TAGS_PER_CALL:
            raise InvalidRequest(f"tag_ids accepts at most {MAX_TAGS_PER_CALL} ids")
        owned = self.repo.owned_tags(owner, tag_ids)
        unknown = sorted(set(tag_ids) - owned.keys())
        if unknown:
            raise NotFound(f"Tag not found: {', '.join(unknown[:5])}")
        return list(owned.values())


def _tag_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 50:
        raise InvalidRequest("tag name must have 1 to 50 visible characters")
    return name


def _name_of(url: str) -> str:
    tail = url.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return tail[:255] or "asset"
