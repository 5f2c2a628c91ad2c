"""The browse and search parameters of ``/v1/assets`` and a collection's assets, and the
one browser both endpoints call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query
from sqlalchemy.orm import Session

from impasto.assets.schemas import AssetList, AssetOut, MediaType, Section, Source, TagMode
from impasto.assets.search import browse
from impasto.assets.search.urls import BlobReader, visual_query
from impasto.assets.service import AssetService
from impasto.files.urls import FILE_URL_PATTERN
from impasto.kit.cursors import Cursors


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


@dataclass(frozen=True, slots=True)
class AssetBrowser:
    """What browsing and searching the library needs in one request (``deps.Browser``)."""

    service: AssetService  # with the search legs
    session: Session
    bases: list[str]  # the origins this server's own file URLs come with
    base: str  # where the answer's URLs point
    read_blob: BlobReader
    cursors: Cursors

    def browse(self, owner: str, params: BrowseParams, collection_id: str | None) -> AssetList:
        query = params.query(owner, collection_id)
        browse.check(query)
        search_input = None
        for kind, url in (("image", query.search_image_url), ("video", query.search_video_url)):
            if url is not None:
                search_input = visual_query(
                    self.session,
                    owner,
                    url=url,
                    kind=kind,
                    bases=self.bases,
                    read_blob=self.read_blob,
                )
        result = self.service.browse(query, self.base, self.cursors, search_input)
        return AssetList(
            assets=[AssetOut.model_validate(view) for view in result.assets],
            next_cursor=result.next_cursor,
            has_more=result.next_cursor is not None,
            total_count=result.total_count,
            scope_truncated=result.scope_truncated,
        )
