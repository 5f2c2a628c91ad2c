"""Assets come into being here: from uploads (the files hook), run inputs and outputs, and
URLs saved through the API. Each new asset queues its indexing job in the same transaction;
nothing heavy (decoding, thumbnails, embeddings) happens inline.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from impasto.assets.media import media_type_for, title_for
from impasto.assets.repository import AssetRepository
from impasto.assets.search.keyword import search_text
from impasto.files.core import FileView
from impasto.kit.ids import IdGenerator
from impasto.models import Asset

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})")
MAX_PROMPT = 20_000


@dataclass(frozen=True, slots=True)
class NewAsset:
    owner: str
    source: str
    media_type: str
    file_name: str
    created_at: datetime
    file_id: str | None = None
    url: str | None = None
    content_type: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    title: str | None = None
    prompt: str | None = None
    request_id: str | None = None
    endpoint_id: str | None = None


def mentions(prompt: str | None) -> list[str]:
    """``@handle`` mentions in a prompt, lowercased, in order, without repeats."""
    seen: list[str] = []
    for found in MENTION.findall(prompt or ""):
        handle = found.rstrip(".-").lower()
        if handle and handle not in seen:
            seen.append(handle)
    return seen


class AssetIngest:
    def __init__(self, session: Session, ids: IdGenerator) -> None:
        self.session = session
        self.repo = AssetRepository(session)
        self.ids = ids

    def create(self, new: NewAsset) -> Asset:
        prompt = new.prompt[:MAX_PROMPT] if new.prompt else None
        title = (new.title or title_for(new.file_name))[:255]
        asset = self.repo.add(
            Asset(
                asset_id=self.ids.new(),
                owner=new.owner,
                source=new.source,
                media_type=new.media_type,
                file_id=new.file_id,
                file_name=new.file_name[:255],
                url=new.url,
                content_type=new.content_type,
                size=new.size,
                width=new.width,
                height=new.height,
                duration=new.duration,
                title=title,
                prompt=prompt,
                request_id=new.request_id,
                endpoint_id=new.endpoint_id,
                is_favorited=False,
                created_at=new.created_at,
                updated_at=new.created_at,
                search_text=search_text(title, prompt, new.file_name),
            )
        )
        self.repo.enqueue(asset.id, new.created_at)
        self.link_mentions(asset, prompt, new.created_at)
        return asset

    def link_mentions(self, asset: Asset, prompt: str | None, now: datetime) -> None:
        for character in self.repo.characters_by_handle(asset.owner, mentions(prompt)):
            self.repo.put_item(character.collection_id, asset.id, "mention", now)

    def for_upload(self, view: FileView) -> Asset | None:
        """The ``upload`` asset of a file just recorded; None for non-media files."""
        media = media_type_for(view.content_type, view.file_name)
        if media is None or view.path is not None:
            return None
        if self.repo.by_file(view.owner, view.file_id) is not None:
            return None
        return self.create(
            NewAsset(
                owner=view.owner,
                source="upload",
                media_type=media,
                file_name=view.file_name,
                created_at=view.created_at,
                file_id=view.file_id,
                content_type=view.content_type,
                size=view.size,
            )
        )


def upload_hook(ids: IdGenerator) -> Callable[[Session, list[FileView]], None]:
    """``FilesCore.on_record``: uploads become assets in the transaction that records them."""

    def record_uploads(session: Session, views: list[FileView]) -> None:
        ingest = AssetIngest(session, ids)
        for view in views:
            ingest.for_upload(view)

    return record_uploads
