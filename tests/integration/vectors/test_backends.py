"""The index each database gets answers like the exact numpy scan, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from structlog.testing import capture_logs

from impasto.assets.search.ann import check_buffers
from impasto.kit.clock import FrozenClock
from impasto.kit.db import Database
from impasto.vectors import ExactIndex, TieredIndex
from impasto.vectors.base import VectorIndex
from impasto.vectors.factory import open_vector_index
from impasto.vectors.hnsw import HnswParams
from impasto.vectors.pgvector import LARGE_FOR_SECONDS, PgVectorIndex, pgvector_available
from tests.unit.vectors.synthetic import clustered

DIMS = 24


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url, pool_size=2)
    yield db
    db.dispose()


def _open(database: Database, tmp_path: Path, exact_limit: int = 1000) -> VectorIndex:
    return open_vector_index(
        database, "test@1", DIMS, data_dir=tmp_path, exact_limit=exact_limit, ef_search=64
    )


def test_each_database_gets_its_index(database: Database, tmp_path: Path) -> None:
    index = _open(database, tmp_path)
    if database.dialect == "postgresql":
        assert pgvector_available(database)  # the test server's wheel ships pgvector
        assert isinstance(index, PgVectorIndex)
    else:
        assert isinstance(index, TieredIndex)


def test_same_ranking_as_the_exact_scan(database: Database, tmp_path: Path) -> None:
    vectors = clustered(400, DIMS, seed=3)
    ids = [f"a{i:03d}" for i in range(400)]
    index = _open(database, tmp_path)
    exact = ExactIndex("test@1", DIMS)
    for target in (index, exact):
        target.add("alice", ids, vectors)
        target.add("bob", ["b1"], vectors[:1])
    for q in (vectors[5], vectors[77], clustered(1, DIMS, seed=99)[0]):
        got = index.search("alice", q, 10)
        want = exact.search("alice", q, 10)
        assert [h.id for h in got] == [h.id for h in want]
        assert [h.score for h in got] == pytest.approx([h.score for h in want], abs=1e-5)
    allowed = set(ids[::7])
    got = index.search("alice", vectors[5], 10, allowed)
    assert [h.id for h in got] == [h.id for h in exact.search("alice", vectors[5], 10, allowed)]


def test_owners_are_isolated_and_removal_sticks(database: Database, tmp_path: Path) -> None:
    vectors = clustered(20, DIMS, seed=4)
    index = _open(database, tmp_path)
    index.add("alice", [f"a{i}" for i in range(10)], vectors[:10])
    index.add("bob", [f"b{i}" for i in range(10)], vectors[10:])
    assert {h.id[0] for h in index.search("bob", vectors[0], 20)} == {"b"}
    index.remove("alice", ["a0"])
    index.add("alice", ["a1"], vectors[19:20])  # replaces a1's vector
    hits = index.search("alice", vectors[0], 20)
    assert "a0" not in {h.id for h in hits}
    assert index.search("alice", vectors[19], 1)[0].id == "a1"
    assert index.count("alice") == 9
    assert [index.count("alice", at_most=n) for n in (4, 9, 50)] == [4, 9, 9]
    assert index.search("alice", vectors[0], 5, allowed_ids=[]) == []


@pytest.mark.parametrize("n", [1500])
def test_large_scope_walks_the_ann_index(database: Database, tmp_path: Path, n: int) -> None:
    vectors = clustered(n, DIMS, seed=5)
    ids = [f"v{i:04d}" for i in range(n)]
    index = _open(database, tmp_path, exact_limit=200)
    exact = ExactIndex("test@1", DIMS)
    index.add("alice", ids, vectors)
    exact.add("alice", ids, vectors)
    assert recall_at_10(index, exact, vectors[:20]) >= 0.9
    wide = set(ids[::2])  # past exact_limit: the ANN index under a filter
    hits = index.search("alice", vectors[1], 10, wide)
    assert len(hits) == 10
    assert {h.id for h in hits} <= wide


def test_pgvector_literal_round_trips_float32() -> None:
    from impasto.vectors.pgvector import vector_literal

    v = np.array([0.1, -1e-8, 3.4028235e38], np.float32)
    parsed = np.array([float(x) for x in vector_literal(v)[1:-1].split(",")], np.float32)
    assert parsed.tobytes() == v.tobytes()


def test_bulk_adds_upsert_like_single_ones(database: Database, tmp_path: Path) -> None:
    """Past BULK_ROWS, pgvector loads by binary COPY; ids given twice keep the last vector."""
    from impasto.vectors.pgvector import BULK_ROWS

    n = BULK_ROWS + 200
    vectors = clustered(n, DIMS, seed=6)
    ids = [f"v{i:04d}" for i in range(n)]
    index = _open(database, tmp_path, exact_limit=10 * n)
    index.add("alice", ids[:10], vectors[n - 10 :])  # replaced by the bulk load below
    index.add("alice", [*ids, ids[0]], np.concatenate([vectors, vectors[5:6]]))
    exact = ExactIndex("test@1", DIMS)
    exact.add("alice", [*ids, ids[0]], np.concatenate([vectors, vectors[5:6]]))
    assert index.count("alice") == n
    for q in (vectors[5], vectors[n - 1]):
        got = index.search("alice", q, 5)
        want = exact.search("alice", q, 5)
        assert [h.id for h in got] == [h.id for h in want]
        assert [h.score for h in got] == pytest.approx([h.score for h in want], abs=1e-5)


def test_a_load_that_doubles_the_table_rebuilds_the_graph(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pgvector: the HNSW index is dropped for a large load and built again after it."""
    from sqlalchemy import text

    if not pgvector_available(database):
        pytest.skip("pgvector only")
    clock = FrozenClock()
    index = PgVectorIndex(
        database,
        "test@1",
        DIMS,
        exact_limit=200,
        params=HnswParams(expansion_search=64),
        rebuild_rows=1000,
        clock=clock,
    )
    n = 1500
    vectors = clustered(n, DIMS, seed=7)
    ids = [f"v{i:04d}" for i in range(n)]
    index.add("alice", ids[:100], vectors[:100])
    index.add("alice", ids, vectors)  # 1,500 new against 100 held: rebuilt
    with database.write_engine.connect() as conn:
        names = conn.execute(
            text("SELECT indexname FROM pg_indexes WHERE tablename = :t"), {"t": index.table}
        ).scalars()
        assert f"{index.table}_hnsw" in set(names)
    assert index.count("alice") == n
    exact = ExactIndex("test@1", DIMS)
    exact.add("alice", ids, vectors)
    assert recall_at_10(index, exact, vectors[:20]) >= 0.9

    # Found past exact_limit once, the owner is not recounted on every search.
    counts: list[int | None] = []
    counting = index._count

    def spy(conn: Any, owner: str, at_most: int | None) -> int:
        counts.append(at_most)
        return counting(conn, owner, at_most)

    monkeypatch.setattr(index, "_count", spy)
    index.search("alice", vectors[0], 10)
    index.search("alice", vectors[1], 10)
    assert counts == []  # the searches above already found alice large
    clock.advance(LARGE_FOR_SECONDS)
    index.search("alice", vectors[2], 10)
    assert counts == [201]


def recall_at_10(index: VectorIndex, exact: ExactIndex, queries: np.ndarray) -> float:
    found = 0
    for q in queries:
        truth = {h.id for h in exact.search("alice", q, 10)}
        found += len(truth & {h.id for h in index.search("alice", q, 10)})
    return found / (10 * len(queries))


def test_a_graph_outgrowing_shared_buffers_is_logged(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite's graphs live in the process")
    index = _open(database, tmp_path)
    assert isinstance(index, PgVectorIndex)
    index.add("alice", [f"a{i}" for i in range(50)], clustered(50, DIMS, seed=4))
    graph, buffers = index.graph_and_buffers()
    assert 0 < graph < buffers  # a few pages, against the server's 128 MB
    with capture_logs() as quiet:
        check_buffers(index)
    assert quiet == []
    monkeypatch.setattr(index, "graph_and_buffers", lambda: (buffers + 1, buffers))
    with capture_logs() as logged:
        check_buffers(index)
    assert [entry["event"] for entry in logged] == ["pgvector_graph_exceeds_shared_buffers"]


def test_a_large_owners_bounded_counts_skip_the_database(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database.dialect != "postgresql":
        pytest.skip("the in-process index counts in memory")
    index = _open(database, tmp_path, exact_limit=200)
    assert isinstance(index, PgVectorIndex)
    index.add("alice", [f"v{i:03d}" for i in range(300)], clustered(300, DIMS, seed=6))
    index.add("bob", ["b1"], clustered(1, DIMS, seed=7))
    assert index.count("alice", at_most=101) == 101  # counted: alice's size is not known yet
    index.search("alice", clustered(1, DIMS, seed=8)[0], 10)  # finds alice past the limit

    def no_query(*args: Any) -> int:
        raise AssertionError("counted in the database")

    monkeypatch.setattr(index, "_count", no_query)
    assert index.count("alice", at_most=101) == 101
    with pytest.raises(AssertionError):  # bob was never found large; nor is a full count
        index.count("bob", at_most=101)
    with pytest.raises(AssertionError):
        index.count("alice")
