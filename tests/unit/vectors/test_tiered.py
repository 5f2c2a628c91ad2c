from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from impasto.vectors import ExactIndex, TieredIndex
from impasto.vectors.base import Vectors
from impasto.vectors.hnsw import HnswGraph
from tests.unit.vectors.synthetic import clustered

pytest.importorskip("usearch")

N = 3000
DIMS = 32


def _fill(index: TieredIndex | ExactIndex, vectors: np.ndarray) -> list[str]:
    ids = [f"v{i:05d}" for i in range(len(vectors))]
    index.add("big", ids, vectors)
    return ids


def test_small_scopes_stay_exact_and_large_ones_get_a_graph(tmp_path: Path) -> None:
    index = TieredIndex("t@1", DIMS, exact_limit=500, data_dir=tmp_path)
    vectors = clustered(N, DIMS)
    _fill(index, vectors)
    index.add("small", ["s1", "s2"], vectors[:2])
    assert index.has_graph("big")
    assert not index.has_graph("small")
    assert [h.id for h in index.search("small", vectors[1], k=1)] == ["s2"]
    assert list(tmp_path.glob("*.usearch"))


def test_graph_recall_against_exact(tmp_path: Path) -> None:
    vectors = clustered(N, DIMS)
    tiered = TieredIndex("t@1", DIMS, exact_limit=500, data_dir=tmp_path)
    exact = ExactIndex("t@1", DIMS)
    _fill(tiered, vectors)
    _fill(exact, vectors)
    found = 0
    for q in vectors[:50]:
        truth = {h.id for h in exact.search("big", q, 10)}
        found += len(truth & {h.id for h in tiered.search("big", q, 10)})
    assert found / 500 >= 0.95


def test_filtered_search_returns_only_allowed_ids(tmp_path: Path) -> None:
    vectors = clustered(N, DIMS)
    index = TieredIndex("t@1", DIMS, exact_limit=100, data_dir=tmp_path)
    ids = _fill(index, vectors)
    exact = ExactIndex("t@1", DIMS)
    _fill(exact, vectors)
    small = set(ids[::50])  # 60 ids: at most exact_limit, so scored exactly
    assert index.search("big", vectors[0], 10, small) == exact.search("big", vectors[0], 10, small)
    wide = set(ids[::3])  # 1000 ids: the graph, oversampled, filtered
    hits = index.search("big", vectors[0], 10, wide)
    assert len(hits) == 10
    assert {h.id for h in hits} <= wide


def test_removed_vectors_leave_the_graph(tmp_path: Path) -> None:
    vectors = clustered(N, DIMS)
    index = TieredIndex("t@1", DIMS, exact_limit=500, data_dir=tmp_path)
    ids = _fill(index, vectors)
    index.remove("big", [ids[7]])
    assert ids[7] not in {h.id for h in index.search("big", vectors[7], 10)}
    index.add("big", ["new"], vectors[7:8])
    assert index.search("big", vectors[7], 1)[0].id == "new"


class CountingGraph(HnswGraph):
    """The graph, keeping the size of each ``add`` and the path of each ``save``."""

    added: list[int]
    saved: list[Path]

    def add(self, ids: Sequence[str], vectors: Vectors) -> None:
        CountingGraph.added.append(len(ids))
        super().add(ids, vectors)

    def save(self, path: Path, digest: str) -> None:
        CountingGraph.saved.append(path)
        super().save(path, digest)


@pytest.fixture
def counting() -> type[CountingGraph]:
    CountingGraph.added, CountingGraph.saved = [], []
    return CountingGraph


def test_a_saved_graph_is_reused_for_the_same_vectors_only(
    tmp_path: Path, counting: type[CountingGraph]
) -> None:
    vectors = clustered(N, DIMS)
    first = TieredIndex("t@1", DIMS, exact_limit=500, data_dir=tmp_path)
    _fill(first, vectors)
    expected = first.search("big", vectors[3], 10)

    again = TieredIndex("t@1", DIMS, exact_limit=500, data_dir=tmp_path, graph_type=counting)
    _fill(again, vectors)  # the same contents: the saved graph loads, no bulk build
    assert again.search("big", vectors[3], 10) == expected
    assert max(counting.added, default=0) < N

    changed = TieredIndex("t@1", DIMS, exact_limit=500, data_dir=tmp_path, graph_type=counting)
    _fill(changed, vectors[::-1].copy())  # same ids, other vectors: rebuilt
    assert max(counting.added) == N


def test_only_a_changed_graph_is_saved_again(tmp_path: Path, counting: type[CountingGraph]) -> None:
    index = TieredIndex("t@1", DIMS, exact_limit=500, data_dir=tmp_path, graph_type=counting)
    ids = _fill(index, clustered(N, DIMS))  # built, and saved by the build
    counting.saved.clear()
    index.save()
    assert counting.saved == []
    index.remove("big", ids[:1])
    index.save()
    index.save()
    assert len(counting.saved) == 1


def test_usearch_and_onnxruntime_load_in_one_process() -> None:
    """usearch 2.22+ (numkong) segfaults when onnxruntime is imported after it."""
    import subprocess
    import sys

    pytest.importorskip("onnxruntime")
    code = "import usearch.index, onnxruntime"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
