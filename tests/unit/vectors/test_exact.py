from __future__ import annotations

import numpy as np
import pytest

from impasto.embedders.base import normalise
from impasto.vectors import ExactIndex, Hit
from impasto.vectors.base import DimensionMismatch
from tests.unit.vectors.synthetic import clustered


def _index() -> ExactIndex:
    index = ExactIndex("test@1", 3)
    index.add(
        "alice",
        ["a", "b", "c"],
        normalise(np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 0, 1]], np.float32)),
    )
    return index


def test_ranks_by_cosine_best_first() -> None:
    hits = _index().search("alice", np.array([1, 0, 0], np.float32), k=2)
    assert [h.id for h in hits] == ["a", "b"]
    assert hits[0].score == pytest.approx(1.0)
    assert hits[1].score == pytest.approx(0.8)


def test_owners_never_see_each_other() -> None:
    index = _index()
    index.add("bob", ["z"], normalise(np.array([[1, 0, 0]], np.float32)))
    assert [h.id for h in index.search("bob", np.array([0, 0, 1], np.float32), k=5)] == ["z"]
    assert "z" not in {h.id for h in index.search("alice", np.array([1, 0, 0], np.float32), 5)}
    assert index.search("carol", np.array([1, 0, 0], np.float32), k=5) == []


def test_allowed_ids_narrow_the_scope() -> None:
    hits = _index().search("alice", np.array([1, 0, 0], np.float32), 5, allowed_ids={"c", "x"})
    assert [h.id for h in hits] == ["c"]
    assert _index().search("alice", np.array([1, 0, 0], np.float32), 5, allowed_ids=[]) == []


def test_remove_and_replace() -> None:
    index = _index()
    index.remove("alice", ["a", "missing"])
    index.add("alice", ["c"], normalise(np.array([[1, 0.01, 0]], np.float32)))
    hits = index.search("alice", np.array([1, 0, 0], np.float32), k=5)
    assert [h.id for h in hits] == ["c", "b"]
    assert index.count("alice") == 2


def test_the_last_vector_given_for_an_id_wins() -> None:
    index = ExactIndex("test@1", 2)
    index.add("o", ["a", "b", "a"], normalise(np.array([[1, 0], [0.7, 0.7], [0, 1]], np.float32)))
    hits = index.search("o", np.array([0, 1], np.float32), k=5)
    assert [h.id for h in hits] == ["a", "b"]
    assert hits[0].score == pytest.approx(1.0)
    assert index.count("o") == 2


def test_ties_break_by_id_whatever_the_insertion_order() -> None:
    index = ExactIndex("test@1", 2)
    same = normalise(np.ones((5, 2), np.float32))
    index.add("o", ["e", "c", "a", "d", "b"], same)
    assert [h.id for h in index.search("o", same[0], k=3)] == ["a", "b", "c"]


def test_matches_brute_force_on_many_vectors() -> None:
    vectors = clustered(3000, 32)
    ids = [f"v{i}" for i in range(3000)]
    index = ExactIndex("test@1", 32)
    for start in range(0, 3000, 700):  # grows the matrix several times
        index.add("o", ids[start : start + 700], vectors[start : start + 700])
    index.remove("o", ids[:100])
    query = vectors[1234]
    scores = vectors[100:] @ query
    expected = [ids[100 + i] for i in np.argsort(-scores)[:10]]
    assert [h.id for h in index.search("o", query, k=10)] == expected


def test_rejects_bad_vectors() -> None:
    index = ExactIndex("test@1", 3)
    with pytest.raises(DimensionMismatch):
        index.add("o", ["a"], np.ones((1, 4), np.float32))
    with pytest.raises(ValueError, match="ids"):
        index.add("o", ["a", "b"], np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match="finite"):
        index.add("o", ["a"], np.array([[np.nan, 0, 0]], np.float32))
    with pytest.raises(ValueError, match="k must"):
        index.search("o", np.ones(3, np.float32), k=0)
    assert Hit("a", 1.0).id == "a"
