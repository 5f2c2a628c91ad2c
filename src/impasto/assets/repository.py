"""Asset rows in and out, scoped to an owner. No HTTP and no business rules here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, literal, select, update
from sqlalchemy.orm import Session

from impasto.models import (
    Account,
    Asset,
    AssetCollection,
    AssetCollectionItem,
    AssetIndexJob,
    AssetRunLink,
    AssetTag,
    AssetTagLink,
)


class AssetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def ensure_account(self, name: str, now: Any) -> None:
        if self.session.get(Account, name) is None:
            self.session.add(Account(name=name, created_at=now))
            self.session.flush()

    # -- assets ---------------------------------------------------------------------------

    def add(self, asset: Asset) -> Asset:
        self.session.add(asset)
        self.session.flush()
        return asset

    def get(self, owner: str, asset_id: str) -> Asset | None:
        return self.session.scalar(
            select(Asset).where(Asset.owner == owner, Asset.asset_id == asset_id)
        )

    def by_file(self, owner: str, file_id: str) -> Asset | None:
        return self.session.scalar(
            select(Asset)
            .where(Asset.owner == owner, Asset.file_id == file_id)
            .order_by(Asset.id)
            .limit(1)
        )

    def by_request(self, owner: str, request_id: str) -> Asset | None:
        """The first output of a request (else its first input): what a request id names."""
        link = self.session.execute(
            select(AssetRunLink.asset_pk)
            .join(Asset, Asset.id == AssetRunLink.asset_pk)
            .where(Asset.owner == owner, AssetRunLink.request_id == request_id)
            .order_by(AssetRunLink.role.desc(), AssetRunLink.asset_pk)
            .limit(1)
        ).scalar()
        return self.session.get(Asset, link) if link is not None else None

    def by_pks(self, pks: Sequence[int]) -> dict[int, Asset]:
        if not pks:
            return {}
        rows = self.session.scalars(select(Asset).where(Asset.id.in_(list(pks))))
        return {row.id: row for row in rows}

    def page(self, statement: Select[Any]) -> list[Asset]:
        return list(self.session.scalars(statement))

    def count(self, conditions: Sequence[ColumnElement[bool]], at_most: int) -> int:
        """How many assets match; no more than ``at_most``, which bounds the work."""
        rows = select(literal(1)).select_from(Asset).where(*conditions).limit(at_most)
        return self.session.scalar(select(func.count()).select_from(rows.subquery())) or 0

    def set_search_text(self, asset: Asset, text: str) -> None:
        if asset.search_text != text:
            asset.search_text = text
            self.session.flush()

    # -- tags -----------------------------------------------------------------------------

    def tags(self, owner: str) -> list[AssetTag]:
        return list(
            self.session.scalars(
                select(AssetTag).where(AssetTag.owner == owner).order_by(AssetTag.name)
            )
        )

    def tag(self, owner: str, tag_id: str) -> AssetTag | None:
        return self.session.scalar(
            select(AssetTag).where(AssetTag.owner == owner, AssetTag.tag_id == tag_id)
        )

    def tag_named(self, owner: str, name: str) -> AssetTag | None:
        return self.session.scalar(
            select(AssetTag).where(AssetTag.owner == owner, AssetTag.name == name)
        )

    def owned_tags(self, owner: str, tag_ids: Iterable[str]) -> dict[str, AssetTag]:
        ids = list(set(tag_ids))
        if not ids:
            return {}
        rows = self.session.scalars(
            select(AssetTag).where(AssetTag.owner == owner, AssetTag.tag_id.in_(ids))
        )
        return {row.tag_id: row for row in rows}

    def tags_of(self, pks: Sequence[int]) -> dict[int, list[AssetTag]]:
        found: dict[int, list[AssetTag]] = defaultdict(list)
        if not pks:
            return found
        rows = self.session.execute(
            select(AssetTagLink.asset_pk, AssetTag)
            .join(AssetTag, AssetTag.tag_id == AssetTagLink.tag_id)
            .where(AssetTagLink.asset_pk.in_(list(pks)))
            .order_by(AssetTag.name)
        )
        for pk, tag in rows:
            found[pk].append(tag)
        return found

    def link_tag(self, asset_pk: int, tag_id: str) -> None:
        exists = self.session.get(AssetTagLink, (asset_pk, tag_id))
        if exists is None:
            self.session.add(AssetTagLink(asset_pk=asset_pk, tag_id=tag_id))
            self.session.flush()

    def unlink_tag(self, asset_pk: int, tag_id: str) -> None:
        self.session.execute(
            delete(AssetTagLink).where(
                AssetTagLink.asset_pk == asset_pk, AssetTagLink.tag_id == tag_id
            )
        )

    def clear_tags(self, asset_pk: int) -> None:
        self.session.execute(delete(AssetTagLink).where(AssetTagLink.asset_pk == asset_pk))

    def assets_with_tag(self, tag_id: str) -> list[Asset]:
        return list(
            self.session.scalars(
                select(Asset)
                .join(AssetTagLink, AssetTagLink.asset_pk == Asset.id)
                .where(AssetTagLink.tag_id == tag_id)
            )
        )

    def delete_tag(self, tag: AssetTag) -> None:
        self.session.execute(delete(AssetTagLink).where(AssetTagLink.tag_id == tag.tag_id))
        self.session.delete(tag)
        self.session.flush()

    # -- collections and characters -------------------------------------------------------

    def collection(self, owner: str, collection_id: str) -> AssetCollection | None:
        return self.session.scalar(
            select(AssetCollection).where(
                AssetCollection.owner == owner, AssetCollection.collection_id == collection_id
            )
        )

    def collections(
        self, owner: str, *, characters: bool, limit: int, offset: int
    ) -> list[AssetCollection]:
        kind = (
            AssetCollection.type == "character"
            if characters
            else AssetCollection.type != "character"
        )
        return list(
            self.session.scalars(
                select(AssetCollection)
                .where(AssetCollection.owner == owner, kind)
                .order_by(AssetCollection.created_at.desc(), AssetCollection.collection_id.desc())
                .limit(limit)
                .offset(offset)
            )
        )

    def children(self, owner: str, parent_ids: Sequence[str]) -> list[AssetCollection]:
        if not parent_ids:
            return []
        return list(
            self.session.scalars(
                select(AssetCollection)
                .where(AssetCollection.owner == owner, AssetCollection.parent_id.in_(parent_ids))
                .order_by(AssetCollection.name, AssetCollection.collection_id)
            )
        )

    def characters_by_handle(self, owner: str, handles: Iterable[str]) -> list[AssetCollection]:
        wanted = list({h.lower() for h in handles})
        if not wanted:
            return []
        return list(
            self.session.scalars(
                select(AssetCollection).where(
                    AssetCollection.owner == owner,
                    AssetCollection.type == "character",
                    func.lower(AssetCollection.character_identifier).in_(wanted),
                )
            )
        )

    def add_collection(self, collection: AssetCollection) -> AssetCollection:
        self.session.add(collection)
        self.session.flush()
        return collection

    def delete_collection(self, collection: AssetCollection) -> None:
        self.session.execute(
            update(AssetCollection)
            .where(AssetCollection.parent_id == collection.collection_id)
            .values(parent_id=collection.parent_id)
        )
        self.session.execute(
            delete(AssetCollectionItem).where(
                AssetCollectionItem.collection_id == collection.collection_id
            )
        )
        self.session.delete(collection)
        self.session.flush()

    def asset_counts(self, collection_ids: Sequence[str]) -> dict[str, int]:
        if not collection_ids:
            return {}
        rows = self.session.execute(
            select(AssetCollectionItem.collection_id, func.count())
            .where(AssetCollectionItem.collection_id.in_(list(collection_ids)))
            .group_by(AssetCollectionItem.collection_id)
        )
        return {cid: count for cid, count in rows}

    def collections_of(self, pks: Sequence[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = defaultdict(list)
        if not pks:
            return found
        rows = self.session.execute(
            select(AssetCollectionItem.asset_pk, AssetCollectionItem.collection_id)
            .where(AssetCollectionItem.asset_pk.in_(list(pks)))
            .order_by(AssetCollectionItem.collection_id)
        )
        for pk, cid in rows:
            found[pk].append(cid)
        return found

    def put_item(self, collection_id: str, asset_pk: int, how: str, now: Any) -> None:
        if self.session.get(AssetCollectionItem, (collection_id, asset_pk)) is None:
            self.session.add(
                AssetCollectionItem(
                    collection_id=collection_id, asset_pk=asset_pk, how=how, created_at=now
                )
            )
            self.session.flush()

    def remove_item(self, collection_id: str, asset_pk: int) -> None:
        self.session.execute(
            delete(AssetCollectionItem).where(
                AssetCollectionItem.collection_id == collection_id,
                AssetCollectionItem.asset_pk == asset_pk,
            )
        )

    # -- runs and lineage -----------------------------------------------------------------

    def link_run(self, link: AssetRunLink) -> None:
        if self.session.get(AssetRunLink, (link.asset_pk, link.request_id, link.role)) is None:
            self.session.add(link)
            self.session.flush()

    def run_links(
        self, owner: str, *, asset_pk: int | None = None, request_id: str | None = None, role: str
    ) -> list[tuple[AssetRunLink, Asset]]:
        statement = (
            select(AssetRunLink, Asset)
            .join(Asset, Asset.id == AssetRunLink.asset_pk)
            .where(Asset.owner == owner, AssetRunLink.role == role)
            .order_by(AssetRunLink.asset_pk)
        )
        if asset_pk is not None:
            statement = statement.where(AssetRunLink.asset_pk == asset_pk)
        if request_id is not None:
            statement = statement.where(AssetRunLink.request_id == request_id)
        return [(link, asset) for link, asset in self.session.execute(statement)]

    def mentioned_characters(self, pks: Sequence[int]) -> list[AssetCollection]:
        if not pks:
            return []
        mentioned = (
            select(AssetCollectionItem.collection_id)
            .where(
                AssetCollectionItem.asset_pk.in_(list(pks)),
                AssetCollectionItem.how == "mention",
            )
            .scalar_subquery()
        )
        return list(
            self.session.scalars(
                select(AssetCollection)
                .where(AssetCollection.collection_id.in_(mentioned))
                .order_by(AssetCollection.collection_id)
            )
        )

    # -- indexing jobs --------------------------------------------------------------------

    def enqueue(self, asset_pk: int, now: Any, space: str | None = None) -> None:
        self.session.add(
            AssetIndexJob(
                asset_pk=asset_pk,
                space=space,
                status="pending",
                attempts=0,
                run_after=now,
                created_at=now,
            )
        )
        self.session.flush()
