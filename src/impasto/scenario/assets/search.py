"""``POST /scenario/v1/search/assets``: Scenario's hybrid search over the asset library.

Runs the same legs and fusion as fal's ``GET /v1/assets?q=`` (``assets/search/browse.py``).
``querySemanticRatio`` splits the fusion weights: 0 is the keyword leg alone, 1 the
vector legs alone. ``image`` / ``images.like`` name assets of the caller (by id), files this
server serves (by URL), or carry the picture as a data URL; nothing is fetched from
elsewhere. Paging is Meilisearch-like (``limit``/``offset`` or ``page``/``hitsPerPage``)
over at most ``browse.MAX_CANDIDATES`` fused results.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from impasto.assets.media import image_size
from impasto.assets.repository import AssetRepository
from impasto.assets.search import browse
from impasto.assets.search.exact import from_bytes
from impasto.assets.search.legs import LegResult, Scope, SearchInput, SearchLeg
from impasto.assets.search.urls import BlobReader, visual_query
from impasto.assets.views import AssetView, asset_views
from impasto.embedders.base import Embedder
from impasto.kit.cursors import Cursors
from impasto.kit.errors import InvalidRequest, NotFound
from impasto.kit.text import is_storable
from impasto.models import Asset, AssetEmbedding, AssetTag, StoredFile
from impasto.scenario.assets.filter import parse_filter
from impasto.scenario.assets.schemas import AssetSearchRequest

DEFAULT_LIMIT = 20
MAX_IMAGE_BYTES = 32 << 20


@dataclass(frozen=True, slots=True)
class Window:
    start: int
    size: int


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    views: list[AssetView]
    total: int


class _Weighted:
    """A leg with another fusion weight (the request's semantic ratio)."""

    def __init__(self, leg: SearchLeg, weight: float) -> None:
        self.leg = leg
        self.name = leg.name
        self.weight = weight

    def accepts(self, query: SearchInput) -> bool:
        return self.leg.accepts(query)

    def prepare(self, query: SearchInput) -> None:
        self.leg.prepare(query)

    def search(self, session: Session, scope: Scope, query: SearchInput, limit: int) -> LegResult:
        return self.leg.search(session, scope, query, limit)


def window(body: AssetSearchRequest) -> Window:
    offset_mode = body.limit is not None or body.offset is not None
    page_mode = body.page is not None or body.hitsPerPage is not None
    if offset_mode and page_mode:
        raise InvalidRequest("use limit/offset or page/hitsPerPage, not both")
    if page_mode:
        size = body.hitsPerPage or DEFAULT_LIMIT
        start = ((body.page or 1) - 1) * size
    else:
        size = body.limit or DEFAULT_LIMIT
        start = body.offset or 0
    if start > browse.MAX_CANDIDATES:
        raise InvalidRequest(f"search pages reach at most {browse.MAX_CANDIDATES} hits")
    return Window(start, size)


def check(body: AssetSearchRequest) -> None:
    if body.public:
        raise InvalidRequest("public=true is not offered here: assets are private to their owner")
    visual = body.image is not None or body.images is not None
    if body.image is not None and body.images is not None:
        raise InvalidRequest("send image or images, not both")
    if body.query is not None and body.query.strip() and visual:
        raise InvalidRequest("send query or image/images, not both")
    if body.images is not None:
        if body.images.unlike:
            raise InvalidRequest("images.unlike is not supported; send images.like only")
        if not body.images.like:
            raise InvalidRequest("images.like must name at least one image")
    if body.sortBy:
        raise InvalidRequest("sortBy is not supported: hits come by relevance")
    if not (body.query and body.query.strip()) and not visual and body.filter is None:
        raise InvalidRequest("send at least one of query, filter, image and images")


class ScenarioAssetSearch:
    """One search for one owner; ``bases`` and ``read_blob`` come from the endpoint."""

    def __init__(
        self,
        session: Session,
        legs: Sequence[SearchLeg],
        embedders: Sequence[Embedder],
        *,
        bases: Sequence[str],
        read_blob: BlobReader,
        cursors: Cursors,
    ) -> None:
        self.session = session
        self.cursors = cursors
        self.repo = AssetRepository(session)
        self.legs = list(legs)
        self.embedders = list(embedders)
        self.bases = list(bases)
        self.read_blob = read_blob

    def run(self, owner: str, body: AssetSearchRequest, base: str) -> SearchOutcome:
        check(body)
        span = window(body)
        query = self._scope(owner, body)
        if query is None:
            return SearchOutcome([], 0)
        search_input, ratio = self._input(owner, body)
        if search_input is None:
            query = replace(query, limit=span.start + span.size)
            page = browse.listing(self.session, query, cursors=self.cursors)
            assets = page.assets[span.start :]
            return SearchOutcome(asset_views(self.repo, assets, base), page.total_count or 0)
        query = replace(query, limit=span.size)
        if span.start:
            query = replace(query, cursor=self.cursors.issue(query.fingerprint(), [span.start]))
        legs = self._weighted(ratio, search_input)
        found = browse.search(self.session, query, search_input, legs, cursors=self.cursors)
        total = browse.MAX_CANDIDATES if found.total_count is None else found.total_count
        views = asset_views(self.repo, found.assets, base, found.similarity)
        return SearchOutcome(views, total)

    def _scope(self, owner: str, body: AssetSearchRequest) -> browse.AssetQuery | None:
        """The filter as the Platform API's query; None when it can match nothing."""
        parsed = parse_filter(body.filter)
        if parsed.kinds is not None and not parsed.kinds:
            return None
        names = parsed.all_tags or parsed.any_tags
        tag_ids: list[str] = []
        if names:
            found = self.session.scalars(
                select(AssetTag).where(AssetTag.owner == owner, AssetTag.name.in_(names))
            ).all()
            known = {tag.name: tag.tag_id for tag in found}
            tag_ids = [known[n] for n in dict.fromkeys(names) if n in known]
            if not tag_ids or (parsed.all_tags and len(tag_ids) < len(set(names))):
                return None
        return browse.AssetQuery(
            owner=owner,
            q=body.query.strip() if body.query and body.query.strip() else None,
            media_types=sorted(parsed.kinds or ()),
            collection_id=parsed.collection_id,
            tag_ids=tag_ids,
            tag_mode="all" if parsed.all_tags else "any",
        )

    def _input(self, owner: str, body: AssetSearchRequest) -> tuple[SearchInput | None, float]:
        if body.query is not None and body.query.strip():
            return SearchInput(text=body.query), body.querySemanticRatio
        references = [body.image] if body.image is not None else []
        if body.images is not None:
            references = list(body.images.like)
        if not references:
            return None, 0.0
        stored: dict[str, list[list[float]]] = defaultdict(list)
        pictures: list[bytes] = []
        for reference in references:
            found = self._reference(owner, reference)
            for space, vectors in found.stored.items():
                stored[space].extend(list(v) for v in vectors)
            pictures.extend(found.images)
        for embedder in self.embedders:
            matrix = embedder.embed_images(pictures) if pictures else None
            if matrix is not None:
                stored[embedder.space].extend(np.asarray(matrix, dtype=float).tolist())
        # Image search is vector search: the ratio has no keyword leg to share with.
        return SearchInput(stored=dict(stored)), 1.0

    def _reference(self, owner: str, reference: str) -> SearchInput:
        if reference.startswith("data:"):
            return SearchInput(images=[_data_url(reference)])
        if reference.startswith(("http://", "https://")):
            return visual_query(
                self.session,
                owner,
                url=reference,
                kind="image",
                bases=self.bases,
                read_blob=self.read_blob,
            )
        if len(reference) > 64 or not is_storable(reference):
            raise NotFound("Asset not found")
        asset = self.repo.get(owner, reference)
        if asset is None:
            raise NotFound("Asset not found")
        return self._asset_input(asset)

    def _asset_input(self, asset: Asset) -> SearchInput:
        stored: dict[str, list[list[float]]] = defaultdict(list)
        for space, dims, raw in self.session.execute(
            select(AssetEmbedding.space, AssetEmbedding.dimensions, AssetEmbedding.vector)
            .where(AssetEmbedding.asset_pk == asset.id, AssetEmbedding.kind != "text")
            .order_by(AssetEmbedding.space, AssetEmbedding.position)
        ):
            stored[space].append(from_bytes(raw, dims).tolist())
        if stored:
            return SearchInput(stored=dict(stored))
        row = self.session.get(StoredFile, asset.file_id) if asset.file_id else None
        if asset.media_type != "image" or row is None:
            raise InvalidRequest(f"asset {asset.asset_id} is not an indexed image yet")
        if row.size > MAX_IMAGE_BYTES:
            raise InvalidRequest(f"asset {asset.asset_id} is larger than {MAX_IMAGE_BYTES} bytes")
        return SearchInput(images=[self.read_blob(row.blob_key, row.size)])

    def _weighted(self, ratio: float, search_input: SearchInput) -> list[SearchLeg]:
        legs: list[SearchLeg] = []
        for leg in self.legs:
            weight = 1.0 - ratio if leg.name == "keyword" else ratio
            if weight > 0 and leg.accepts(search_input):
                legs.append(_Weighted(leg, weight))
        if not legs:
            if search_input.text is None:
                raise InvalidRequest("image search needs an image embedder, and none is configured")
            raise InvalidRequest(
                f"querySemanticRatio={ratio:g} needs a search leg this server does not have"
            )
        return legs


def _data_url(reference: str) -> bytes:
    header, _, payload = reference.partition(",")
    if not header.startswith("data:image/") or not header.endswith(";base64"):
        raise InvalidRequest("image must be an asset id, a file URL of ours or a base64 data URL")
    if len(payload) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise InvalidRequest(f"image is larger than {MAX_IMAGE_BYTES} bytes")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest("image data URL is not valid base64") from exc
    if image_size(data) is None:
        raise InvalidRequest("image data URL does not hold a readable image")
    return data
