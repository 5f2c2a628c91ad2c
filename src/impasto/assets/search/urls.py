"""``search_image_url`` / ``search_video_url``: only files this server serves, readable by the
caller, become a visual query (no fetching from elsewhere: nothing to abuse as SSRF).

An asset already indexed lends its stored vectors (a video its frames); otherwise an
image's bytes are read from the store and embedded by each image-capable leg.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from impasto.assets.media import media_type_for
from impasto.assets.repository import AssetRepository
from impasto.assets.search.exact import from_bytes
from impasto.assets.search.legs import SearchInput
from impasto.files.acl import may_read
from impasto.files.urls import parse_file_url, same_origin
from impasto.kit.errors import InvalidRequest, NotFound
from impasto.models import AssetEmbedding, StoredFile

MAX_QUERY_IMAGE_BYTES = 32 << 20
NOT_OURS = "{name} must be the URL of a file this server serves"

# Reads a stored blob's bytes (at most the given size); the endpoint supplies it.
BlobReader = Callable[[str, int], bytes]


def visual_query(
    session: Session,
    owner: str,
    *,
    url: str,
    kind: str,
    bases: Sequence[str],
    read_blob: BlobReader,
) -> SearchInput:
    name = f"search_{kind}_url"
    parsed = parse_file_url(url)
    if parsed is None or not any(same_origin(parsed.origin, base) for base in bases):
        raise InvalidRequest(NOT_OURS.format(name=name))
    row = session.get(StoredFile, parsed.file_id)
    if (
        row is None
        or row.file_name != parsed.name
        or not may_read(row.acl, file_owner=row.owner, caller=owner)
    ):
        raise NotFound(f"{name} names no file this server serves to you")
    if media_type_for(row.content_type, row.file_name) != kind:
        raise InvalidRequest(f"{name} must name a {kind} file")
    asset = AssetRepository(session).by_file(owner, row.file_id)
    if asset is not None:
        stored: dict[str, list[list[float]]] = defaultdict(list)
        for space, dims, raw in session.execute(
            select(AssetEmbedding.space, AssetEmbedding.dimensions, AssetEmbedding.vector)
            .where(AssetEmbedding.asset_pk == asset.id, AssetEmbedding.kind != "text")
            .order_by(AssetEmbedding.space, AssetEmbedding.position)
        ):
            stored[space].append(from_bytes(raw, dims).tolist())
        if stored:
            return SearchInput(stored=dict(stored))
    if kind == "video":
        raise InvalidRequest(f"{name} names a video that is not indexed yet; try again later")
    if row.size > MAX_QUERY_IMAGE_BYTES:
        raise InvalidRequest(f"{name} is larger than {MAX_QUERY_IMAGE_BYTES} bytes")
    return SearchInput(images=[read_blob(row.blob_key, row.size)])
