"""Loading the synthetic catalog fast, but as production stores it.

Each entry goes through the importer's validation (``EntrySpec``) and the service's own
derivation of a stored row (``catalog.entries.new_entry``: defaults, normalised search
text); the rows are then written with multi-row ``INSERT``s in one transaction instead of one
ORM upsert each. The full-text index is filled the production way: the FTS5 triggers on
SQLite, the GIN index on PostgreSQL. On SQLite the FTS5 triggers are set aside during the
load and the index is rebuilt from the stored rows in one pass (FTS5's ``rebuild``: the same
index the triggers would have built row by row, compacted), then the triggers are restored
exactly as the migration created them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, text

from bench.catalog.data import Synthetic, owners
from impasto.catalog.entries import new_entry
from impasto.catalog.spec import EntrySpec
from impasto.keys.service import KeyService
from impasto.kit.clock import SystemClock
from impasto.kit.db import Database
from impasto.kit.ids import UUIDv7Generator
from impasto.models import (
    Account,
    CatalogCollection,
    CatalogEntry,
    CatalogFavorite,
    CatalogTag,
    KeyScope,
)

BATCH = 5_000
ENTRIES = CatalogEntry.metadata.tables["catalog_entries"]
COLUMNS = [attr.key for attr in CatalogEntry.__mapper__.column_attrs]


def _rows(entries: Iterable[Synthetic]) -> Iterable[dict[str, Any]]:
    for number, item in enumerate(entries, start=1):
        entry = new_entry(EntrySpec.model_validate(item.spec), item.created_at)
        entry.id = number
        entry.request_count = item.request_count
        yield {name: getattr(entry, name) for name in COLUMNS}


def load(database: Database, entries: Iterable[Synthetic]) -> tuple[int, float]:
    """Insert every entry (ids 1..n), its tags and collections; (count, seconds)."""
    started = time.perf_counter()
    count = 0
    with database.session(write=True) as session:
        now = SystemClock().now()
        session.execute(insert(Account), [{"name": name, "created_at": now} for name in owners()])
        triggers: list[tuple[str, str]] = []
        if database.dialect == "sqlite":
            triggers = [
                (str(name), str(sql))
                for name, sql in session.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                        "AND tbl_name = 'catalog_entries'"
                    )
                )
            ]
            for name, _ in triggers:
                session.execute(text(f'DROP TRIGGER "{name}"'))
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            session.execute(insert(ENTRIES), batch)
            links = [(row["id"], row) for row in batch]
            tags = [{"entry_id": i, "tag": tag} for i, row in links for tag in row["tags"]]
            if tags:
                session.execute(insert(CatalogTag), tags)
            collections = [
                {"entry_id": i, "collection_id": c} for i, row in links for c in row["collections"]
            ]
            if collections:
                session.execute(insert(CatalogCollection), collections)
            batch.clear()

        for row in _rows(entries):
            batch.append(row)
            count += 1
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
        if triggers:
            session.execute(text("INSERT INTO catalog_fts(catalog_fts) VALUES ('rebuild')"))
            for _, sql in triggers:
                session.execute(text(sql))
        if database.dialect == "postgresql":
            # Explicit ids leave the sequence behind; later creates must not collide.
            session.execute(
                text("SELECT setval(pg_get_serial_sequence('catalog_entries', 'id'), :n)"),
                {"n": count},
            )
    if database.dialect == "postgresql":
        # What autovacuum does shortly after a bulk load; without it the first plans guess.
        with database.write_engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as conn:
            conn.execute(text("ANALYZE"))
    return count, time.perf_counter() - started


def add_favorites(database: Database, owner: str, entry_ids: list[int]) -> None:
    with database.session(write=True) as session:
        now = SystemClock().now()
        session.execute(
            insert(CatalogFavorite),
            [{"owner": owner, "entry_id": i, "created_at": now} for i in entry_ids],
        )


def create_key(database: Database, owner: str) -> str:
    """An API key for ``owner`` (whose private entries and favorites the searches see)."""
    with database.session(write=True) as session:
        _, credential = KeyService(session, SystemClock(), UUIDv7Generator()).create(
            owner=owner, scope=KeyScope.API, alias="catalog benchmark", created_by="bench"
        )
    return str(credential)
