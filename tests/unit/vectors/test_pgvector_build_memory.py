"""The memory pgvector's HNSW build asks for, sized to hold the whole graph."""

from __future__ import annotations

from impasto.vectors.pgvector import MAX_BUILD_MEMORY_MB, build_memory_mb


def test_a_million_minilm_vectors_ask_for_their_graph_not_the_old_fixed_gigabyte() -> None:
    # 1M x 384-d floats alone are 1,465 MiB; links and headers come on top.
    memory = build_memory_mb(1_000_000, 384, 16)
    assert 1_465 < memory < 4_096


def test_the_request_grows_with_rows_and_width_between_a_floor_and_a_ceiling() -> None:
    assert build_memory_mb(10, 384, 16) == 64
    assert build_memory_mb(200_000, 384, 16) < build_memory_mb(400_000, 384, 16)
    assert build_memory_mb(200_000, 384, 16) < build_memory_mb(200_000, 768, 16)
    assert build_memory_mb(100_000_000, 384, 16) == MAX_BUILD_MEMORY_MB
