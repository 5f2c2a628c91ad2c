"""The browse and search parameters of ``/v1/assets`` and a collection's assets, and the
one function both endpoints call."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from impasto.assets.deps import base, blob_reader, search_legs
from impasto.assets.schemas import AssetList, AssetOut, MediaType, Section, Source, TagMode
from impasto.assets.search import browse
from impasto.assets.search.urls import visual_query
from impasto.assets.service import AssetService
from impasto.deps import ContainerDep, ReadSession
from impasto.files.cdn.responses import own_bases
from impasto.files.urls import FILE_URL_PATTERN
from impasto.keys.auth import ApiPrincipal


class BrowseParams:
    """The browse and search parameters shared by ``/assets`` and a collection's assets."""

    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=browse.MAX_LIMIT)] = 50,
        cursor: Annotated[str | None, Query(max_length=1024)] = None,
        q: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
        search_image_url: Annotated[
            str | None, Query(max_length=4096, pattern=FILE_URL_PATTERN)
        ] = None,
        search_video_url: Annotated[
            str | None, Query(max_length=4096, pattern=FILE_URL_PATTERN)
        ] = None,
        media_type: Annotated[list[MediaType] | None, Query()] = None,
        source: Annotated[list[Source] | None, Query()] = None,
        section: Annotated[Section, Query()] = "all-media",
        character_identifier: Annotated[list[str] | None, Query()] = None,
        tag_id: Annotated[list[str] | None, Query()] = None,
        tag_mode: Annotated[TagMode, Query()] = "any",
    ) -> None:
        self.values = {
            "limit": limit,
            "cursor": cursor,
            "q": q,
            "search_image_url": search_image_url,
            "search_video_url": search_video_url,
            "media_types": media_type or [],
            "sources": source or [],
            "section": section,
            "character_identifiers": character_identifier or [],
            "tag_ids": tag_id or [],
            "tag_mode": tag_mode,
        }

    def query(self, owner: str, collection_id: str | None) -> browse.AssetQuery:
        return browse.AssetQuery(owner=owner, collection_id=collection_id, **self.values)  # type: ignore[arg-type]


def run_browse(
    request: Request,
    principal: ApiPrincipal,
    session: ReadSession,
    container: ContainerDep,
    params: BrowseParams,
    collection_id: str | None,
) -> AssetList:
    query = params.query(principal.owner, collection_id)
    browse.check(query)
    search_input = None
    for kind, url in (("image", query.search_image_url), ("video", query.search_video_url)):
        if url is not None:
            search_input = visual_query(
                session,
                principal.owner,
                url=url,
                kind=kind,
                bases=own_bases(request, container.settings.public_url),
                read_blob=blob_reader(container),
            )
    service = AssetService(session, container.clock, container.ids, search_legs(container))
    result = service.browse(query, base(request, container), search_input)
    return AssetList(
        assets=[AssetOut.model_validate(view) for view in result.assets],
        next_cursor=result.next_cursor,
        has_more=result.next_cursor is not None,
        total_count=result.total_count,
        scope_truncated=result.scope_truncated,
    )
