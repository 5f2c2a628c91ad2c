"""Vectors in PostgreSQL with pgvector: one table per space, an HNSW cosine index on it.

A space's table is derived data (the embedding rows stay the truth), created when the index
is opened rather than by a migration: its ``vector(n)`` width is the space's, known only at
run time, and the extension may be missing (Debian's PostgreSQL has none). Without it
``pgvector_available`` is false and the caller keeps vectors in a ``TieredIndex`` instead.

Small scopes are scored exactly: ordering by ``distance + 0`` is not an index expression,
so PostgreSQL sorts every row of the scope; large ones walk the HNSW graph with
``hnsw.iterative_scan = relaxed_order`` so a filter cannot starve the result (pgvector's
default returns fewer than k rows under a selective filter).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Collection, Sequence
from dataclasses import replace

from sqlalchemy import text
from sqlalchemy.engine import Connection

from impasto.kit.clock import Clock, SystemClock
from impasto.kit.db import Database
from impasto.vectors.base import Hit, Vectors, check_query, check_vectors, rank_hits
from impasto.vectors.hnsw import HnswParams

DEFAULT_EXACT_LIMIT = 50_000
# How long an owner found past exact_limit is taken to stay there, skipping the count.
LARGE_FOR_SECONDS = 60.0
BULK_ROWS = 1000  # from this many rows, a binary COPY: ~10x faster than INSERTs of literals
REBUILD_ROWS = 10_000
# An HNSW build holds its whole graph in maintenance_work_mem (shared memory in a parallel
# build); a graph that outgrows it goes on inserting on disk, ~10x slower. Per element:
# the vector, level 0's 2m neighbours (~16 bytes each), the element's header (~256 bytes),
# plus a quarter for upper levels and allocator slack. The build asks for that much when
# the server's setting is lower, up to this ceiling (MiB): past it the build still finishes.
MAX_BUILD_MEMORY_MB = 8192


def pgvector_available(database: Database) -> bool:
    """Whether the server can (or already does) provide the ``vector`` extension."""
    if database.dialect != "postgresql":
        return False
    with database.write_engine.connect() as conn:
        found = conn.execute(
            text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        ).first()
    return found is not None


def build_memory_mb(rows: int, dimensions: int, connectivity: int) -> int:
    """maintenance_work_mem (MiB) that holds the HNSW graph of ``rows`` vectors."""
    per_row = dimensions * 4 + 2 * connectivity * 16 + 256
    return min(MAX_BUILD_MEMORY_MB, max(64, rows * per_row * 5 // 4 >> 20))


def _field(value: bytes) -> bytes:
    return struct.pack(">i", len(value)) + value


def vector_literal(vector: Vectors) -> str:
    # repr of a float32 widened to double round-trips: PostgreSQL's float4 gets the same bits.
    return "[" + ",".join(repr(x) for x in vector.tolist()) + "]"


class PgVectorIndex:
    def __init__(
        self,
        database: Database,
        space: str,
        dimensions: int,
        *,
        exact_limit: int = DEFAULT_EXACT_LIMIT,
        params: HnswParams | None = None,
        rebuild_rows: int = REBUILD_ROWS,
        clock: Clock | None = None,
    ) -> None:
        if database.dialect != "postgresql":
            raise ValueError("PgVectorIndex needs PostgreSQL")
        self._db = database
        self._space = space
        self._dimensions = dimensions
        self._exact_limit = exact_limit
        self._params = params or HnswParams()
        self._rebuild_rows = rebuild_rows  # a load of this many rows may rebuild the graph
        self._clock = clock or SystemClock()
        self._large_since: dict[str, float] = {}  # owner -> when counted past exact_limit
        # A hash, not the space's name, in SQL: no quoting, whatever the name holds.
        self.table = "vec_" + hashlib.sha256(space.encode()).hexdigest()[:24]
        self._ensure()

    @property
    def space(self) -> str:
        return self._space

    @property
    def dimensions(self) -> int:
        return self._dimensions

    def set_ef_search(self, ef: int) -> None:
        """Candidates per HNSW search from now on (recall against speed)."""
        self._params = replace(self._params, expansion_search=ef)

    def _ensure(self) -> None:
        with self._db.write_engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
            conn.execute(
                text(
                    f"CREATE TABLE IF NOT EXISTS {self.table} ("
                    " owner text NOT NULL, id text NOT NULL,"
                    f" embedding vector({self._dimensions}) NOT NULL,"
                    " PRIMARY KEY (owner, id))"
                )
            )
            conn.execute(text(self._create_index()))

    def _create_index(self) -> str:
        p = self._params
        return (
            f"CREATE INDEX IF NOT EXISTS {self.table}_hnsw ON {self.table}"
            f" USING hnsw (embedding vector_cosine_ops)"
            f" WITH (m = {int(p.connectivity)}, ef_construction = {int(p.expansion_add)})"
        )

    def graph_and_buffers(self) -> tuple[int, int]:
        """Bytes of the HNSW index and of the server's ``shared_buffers``: a search walks
        the graph through those buffers, and one that misses them reads a page per visit."""
        with self._db.write_engine.begin() as conn:
            row = conn.execute(
                text(
                    "SELECT coalesce(pg_relation_size(to_regclass(:index)), 0),"
                    " pg_size_bytes(current_setting('shared_buffers'))"
                ),
                {"index": f"{self.table}_hnsw"},
            ).one()
        return int(row[0]), int(row[1])

    def add(self, owner: str, ids: Sequence[str], vectors: Vectors) -> None:
        matrix = check_vectors(vectors, self._dimensions, rows=len(ids))
        if not ids:
            return
        if len(ids) >= BULK_ROWS:
            self._bulk_add(owner, ids, matrix)
            return
        rows = [
            {"owner": owner, "id": id_, "embedding": vector_literal(vector)}
            for id_, vector in zip(ids, matrix, strict=True)
        ]
        with self._db.write_engine.begin() as conn:
            conn.execute(
                text(
                    f"INSERT INTO {self.table} (owner, id, embedding)"  # noqa: S608 (table: a hash)
                    " VALUES (:owner, :id, CAST(:embedding AS vector))"
                    " ON CONFLICT (owner, id) DO UPDATE SET embedding = EXCLUDED.embedding"
                ),
                rows,
            )

    def _bulk_add(self, owner: str, ids: Sequence[str], matrix: Vectors) -> None:
        """COPY (binary) into a temporary table, then one upsert: a backfill of a million
        vectors costs seconds, not the minutes of formatting and parsing text literals."""
        last = {id_: position for position, id_ in enumerate(ids)}  # the last one wins
        owner_field = _field(owner.encode())
        header = struct.pack(">hi", 3, 4 + 4 * self._dimensions)
        dims = struct.pack(">hh", self._dimensions, 0)
        big_endian = matrix.astype(">f4")
        raw = self._db.write_engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(f"CREATE TEMP TABLE incoming (LIKE {self.table}) ON COMMIT DROP")
            with cursor.copy(
                "COPY incoming (owner, id, embedding) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                chunk = [b"PGCOPY\n\xff\r\n\x00", struct.pack(">ii", 0, 0)]
                for id_, position in last.items():
                    # One tuple: 3 fields; owner; id; vector = (dims, 0, float4 x dims).
                    vector = big_endian[position].tobytes()
                    chunk += [header[:2], owner_field, _field(id_.encode())]
                    chunk += [header[2:], dims, vector]
                    if len(chunk) > 6000:
                        copy.write(b"".join(chunk))
                        chunk = []
                chunk.append(struct.pack(">h", -1))
                copy.write(b"".join(chunk))
            cursor.execute(f"SELECT count(*) FROM {self.table}")  # noqa: S608
            row = cursor.fetchone()
            # A load that at least doubles the table rebuilds the graph in one parallel pass
            # after the insert: inserting 100k rows one graph insertion at a time took over
            # six minutes on 2 cores, a build ~100 s (bench/README.md, Assets).
            rebuild = len(last) >= self._rebuild_rows and len(last) >= int(row[0] if row else 0)
            if rebuild:
                cursor.execute(f"DROP INDEX IF EXISTS {self.table}_hnsw")
            cursor.execute(
                f"INSERT INTO {self.table} (owner, id, embedding)"  # noqa: S608
                " SELECT owner, id, embedding FROM incoming"
                " ON CONFLICT (owner, id) DO UPDATE SET embedding = EXCLUDED.embedding"
            )
            if rebuild:
                rows = int(row[0] if row else 0) + len(last)
                memory_mb = build_memory_mb(rows, self._dimensions, self._params.connectivity)
                cursor.execute(  # raise the server's setting for this build, never lower it
                    "SELECT set_config('maintenance_work_mem', %s, true)"
                    " WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < %s",
                    (f"{memory_mb}MB", memory_mb << 20),
                )
                cursor.execute(self._create_index())
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        finally:
            raw.close()

    def remove(self, owner: str, ids: Sequence[str]) -> None:
        if not ids:
            return
        with self._db.write_engine.begin() as conn:
            conn.execute(
                text(f"DELETE FROM {self.table} WHERE owner = :owner AND id = ANY(:ids)"),  # noqa: S608
                {"owner": owner, "ids": list(ids)},
            )

    def count(self, owner: str, at_most: int | None = None) -> int:
        if at_most is not None and at_most <= self._exact_limit + 1 and self._known_large(owner):
            return at_most  # counted past exact_limit within the minute: a search's count is free
        with self._db.write_engine.begin() as conn:
            return self._count(conn, owner, at_most)

    def size(self) -> int:
        """Every row of the table: a scan of its primary key, so a metrics scrape asks
        rarely (``vectors/metrics.py``) and PostgreSQL cuts it off after a few seconds."""
        with self._db.write_engine.begin() as conn:
            conn.execute(text("SELECT set_config('statement_timeout', '5000', true)"))
            found = conn.execute(text(f"SELECT count(*) FROM {self.table}")).scalar_one()  # noqa: S608
        return int(found)

    def _count(self, conn: Connection, owner: str, at_most: int | None) -> int:
        rows = f"SELECT 1 FROM {self.table} WHERE owner = :owner"  # noqa: S608
        params: dict[str, object] = {"owner": owner}
        if at_most is not None:  # an owner's full count reads every one of its rows
            rows += " LIMIT :at_most"
            params["at_most"] = at_most
        found = conn.execute(
            text(f"SELECT count(*) FROM ({rows}) AS held"),  # noqa: S608
            params,
        ).scalar_one()
        return int(found)

    def search(
        self,
        owner: str,
        query: Vectors,
        k: int,
        allowed_ids: Collection[str] | None = None,
    ) -> list[Hit]:
        q = vector_literal(check_query(query, self._dimensions, k))
        params: dict[str, object] = {"owner": owner, "q": q, "k": k}
        scope = "owner = :owner"
        if allowed_ids is not None:
            if not allowed_ids:
                return []
            scope += " AND id = ANY(:ids)"
            params["ids"] = list(allowed_ids)
        with self._db.write_engine.begin() as conn:
            exact = (
                allowed_ids is not None and len(allowed_ids) <= self._exact_limit
            ) or self._small(conn, owner)
            if exact:
                order = "(embedding <=> CAST(:q AS vector)) + 0"
            else:
                order = "embedding <=> CAST(:q AS vector)"
                conn.execute(
                    text(
                        "SELECT set_config('hnsw.ef_search', :ef, true),"
                        " set_config('hnsw.iterative_scan', 'relaxed_order', true)"
                    ),
                    {"ef": str(max(int(self._params.expansion_search), k))},
                )
            rows = conn.execute(
                text(
                    f"SELECT id, 1 - (embedding <=> CAST(:q AS vector)) AS score"  # noqa: S608
                    f" FROM {self.table} WHERE {scope} ORDER BY {order} LIMIT :k"
                ),
                params,
            ).all()
        return rank_hits(((str(r[0]), float(r[1])) for r in rows), k)

    def _known_large(self, owner: str) -> bool:
        counted = self._large_since.get(owner)
        return counted is not None and self._clock.monotonic() - counted < LARGE_FOR_SECONDS

    def _small(self, conn: Connection, owner: str) -> bool:
        # Bounded, whatever the owner's size, but ~8 ms at 50k: a large owner is recounted
        # once a minute.
        if self._known_large(owner):
            return False
        if self._count(conn, owner, self._exact_limit + 1) <= self._exact_limit:
            self._large_since.pop(owner, None)
            return True
        self._large_since[owner] = self._clock.monotonic()
        return False
