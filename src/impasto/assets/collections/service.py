"""Collections (manual and smart, nested at most ``MAX_DEPTH`` levels) and characters.

A character is a collection of type ``character`` with an ``@handle`` and reference images;
prompts that mention the handle link their assets to it (``ingest.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from impasto.assets.repository import AssetRepository
from impasto.assets.service import AssetService, Target
from impasto.assets.views import CollectionView, collection_views
from impasto.files.urls import parse_file_url
from impasto.kit.clock import Clock
from impasto.kit.errors import Conflict, InvalidRequest, NotFound
from impasto.kit.ids import IdGenerator
from impasto.models import AssetCollection

MAX_DEPTH = 5
MAX_REFERENCE_IMAGES = 50
HANDLE = re.compile(r"[a-z0-9_][a-z0-9_.-]{0,63}")
_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class CollectionFields:
    """Fields a create or update sets; ``_UNSET`` leaves one as it is on update."""

    name: Any = _UNSET
    description: Any = _UNSET
    icon: Any = _UNSET
    color: Any = _UNSET
    cover_image_url: Any = _UNSET
    filters: Any = _UNSET
    reference_images: Any = _UNSET


@dataclass(slots=True)
class TreeNode:
    id: str
    name: str
    type: str
    children: list[TreeNode] = field(default_factory=list)


UNSET = _UNSET


class CollectionService:
    def __init__(self, session: Session, clock: Clock, ids: IdGenerator) -> None:
        self.session = session
        self.repo = AssetRepository(session)
        self.clock = clock
        self.ids = ids
        self.assets = AssetService(session, clock, ids)

    def listing(
        self, owner: str, *, characters: bool, limit: int, offset: int
    ) -> list[CollectionView]:
        rows = self.repo.collections(owner, characters=characters, limit=limit, offset=offset)
        return collection_views(self.repo, rows)

    def get(self, owner: str, collection_id: str, *, character: bool) -> CollectionView:
        return self._view(self._find(owner, collection_id, character=character))

    def create(
        self,
        owner: str,
        fields: CollectionFields,
        *,
        parent_id: str | None = None,
        identifier: str | None = None,
        character: bool = False,
    ) -> CollectionView:
        now = self.clock.now()
        self.repo.ensure_account(owner, now)
        kind = (
            "character"
            if character
            else ("smart" if fields.filters not in (_UNSET, None) else "manual")
        )
        if parent_id is not None:
            parent = self._find(owner, parent_id, character=False)
            if parent.type != "manual":
                raise InvalidRequest("only manual collections may hold other collections")
            if self._depth(parent) + 1 > MAX_DEPTH:
                raise InvalidRequest(f"collections nest at most {MAX_DEPTH} levels")
        handle = None
        if character:
            if identifier is not None:
                handle = _handle(identifier)
            else:
                # A name with no letters or digits still gets a handle to mention it by.
                handle = _handle_or_none(fields.name) or f"character-{self.ids.new()[-12:]}"
            if self.repo.characters_by_handle(owner, [handle]):
                raise Conflict(f"A character with identifier {handle!r} already exists")
        row = AssetCollection(
            collection_id=self.ids.new(),
            owner=owner,
            type=kind,
            name=fields.name,
            character_identifier=handle,
            parent_id=parent_id,
            reference_images=[],
            is_favorited=False,
            created_at=now,
            updated_at=now,
        )
        self._apply(row, fields)
        self.repo.add_collection(row)
        if character:
            self._link_references(row)
        return self._view(row)

    def update(
        self, owner: str, collection_id: str, fields: CollectionFields, *, character: bool
    ) -> CollectionView:
        row = self._find(owner, collection_id, character=character)
        self._apply(row, fields)
        if row.type != "character" and fields.filters is not _UNSET:
            row.type = "smart" if fields.filters is not None else "manual"
        row.updated_at = self.clock.now()
        self.session.flush()
        if character:
            self._link_references(row)
        return self._view(row)

    def delete(self, owner: str, collection_id: str, *, character: bool) -> None:
        self.repo.delete_collection(self._find(owner, collection_id, character=character))

    def favorite(
        self, owner: str, collection_id: str, value: bool, *, character: bool
    ) -> CollectionView:
        row = self._find(owner, collection_id, character=character)
        row.is_favorited = value
        row.updated_at = self.clock.now()
        self.session.flush()
        return self._view(row)

    def move(self, owner: str, collection_id: str, parent_id: str | None) -> CollectionView:
        row = self._find(owner, collection_id, character=False)
        if row.type != "manual":
            raise InvalidRequest("only manual collections can be moved")
        if parent_id is not None:
            parent = self._find(owner, parent_id, character=False)
            if parent.type != "manual":
                raise InvalidRequest("only manual collections may hold other collections")
            ancestors = {c.collection_id for c in self._ancestors(parent)} | {parent_id}
            if collection_id in ancestors:
                raise InvalidRequest("a collection cannot move inside itself")
            if self._depth(parent) + self._height(owner, row) > MAX_DEPTH:
                raise InvalidRequest(f"collections nest at most {MAX_DEPTH} levels")
        row.parent_id = parent_id
        row.updated_at = self.clock.now()
        self.session.flush()
        return self._view(row)

    def hierarchy(self, owner: str, collection_id: str) -> tuple[TreeNode, list[TreeNode]]:
        row = self._find(owner, collection_id, character=False)
        root = TreeNode(row.collection_id, row.name, row.type)
        level = [root]
        for _ in range(MAX_DEPTH):
            children = self.repo.children(owner, [node.id for node in level])
            if not children:
                break
            by_id = {node.id: node for node in level}
            nxt = []
            for child in children:
                node = TreeNode(child.collection_id, child.name, child.type)
                by_id[child.parent_id or ""].children.append(node)
                nxt.append(node)
            level = nxt
        ancestors = [TreeNode(c.collection_id, c.name, c.type) for c in self._ancestors(row)]
        return root, ancestors

    def put_asset(self, owner: str, collection_id: str, target: Target, present: bool) -> None:
        row = self._find(owner, collection_id, character=False)
        if row.type == "smart":
            raise InvalidRequest("a smart collection is defined by its filters")
        asset = self.assets.resolve(owner, target)
        if present:
            self.repo.put_item(row.collection_id, asset.id, "manual", self.clock.now())
        else:
            self.repo.remove_item(row.collection_id, asset.id)

    # -- helpers --------------------------------------------------------------------------

    def _find(self, owner: str, collection_id: str, *, character: bool) -> AssetCollection:
        row = self.repo.collection(owner, collection_id)
        if row is None or (row.type == "character") != character:
            raise NotFound("Character not found" if character else "Collection not found")
        return row

    def _view(self, row: AssetCollection) -> CollectionView:
        return collection_views(self.repo, [row])[0]

    def _ancestors(self, row: AssetCollection) -> list[AssetCollection]:
        """Root first; bounded, so a corrupted cycle cannot loop forever."""
        found: list[AssetCollection] = []
        current = row
        for _ in range(MAX_DEPTH * 2):
            if current.parent_id is None:
                break
            parent = self.repo.collection(row.owner, current.parent_id)
            if parent is None:
                break
            found.append(parent)
            current = parent
        return list(reversed(found))

    def _depth(self, row: AssetCollection) -> int:
        return len(self._ancestors(row)) + 1

    def _height(self, owner: str, row: AssetCollection) -> int:
        height, level = 1, [row.collection_id]
        while level and height <= MAX_DEPTH:
            level = [c.collection_id for c in self.repo.children(owner, level)]
            height += 1 if level else 0
        return height

    def _apply(self, row: AssetCollection, fields: CollectionFields) -> None:
        for name in ("name", "description", "icon", "color", "cover_image_url", "filters"):
            value = getattr(fields, name)
            if value is not _UNSET:
                setattr(row, name, value)
        if fields.reference_images is not _UNSET:
            images = list(fields.reference_images or [])
            if len(images) > MAX_REFERENCE_IMAGES:
                raise InvalidRequest(f"at most {MAX_REFERENCE_IMAGES} reference images")
            row.reference_images = images

    def _link_references(self, row: AssetCollection) -> None:
        """Reference images that are assets of the owner join the character."""
        now = self.clock.now()
        for url in row.reference_images or []:
            parsed = parse_file_url(url)
            if parsed is None:
                continue
            asset = self.repo.by_file(row.owner, parsed.file_id)
            if asset is not None:
                self.repo.put_item(row.collection_id, asset.id, "reference", now)


def _handle(value: str) -> str:
    handle = _handle_or_none(value)
    if handle is None:
        raise InvalidRequest("identifier must be letters, digits, '_', '.' or '-'")
    return handle


def _handle_or_none(value: str) -> str | None:
    handle = value.strip().lstrip("@").lower()
    handle = re.sub(r"[^a-z0-9_.-]+", "-", handle).strip("-.")[:64]
    return handle if HANDLE.fullmatch(handle) else None
