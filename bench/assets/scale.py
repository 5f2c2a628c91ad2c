"""Vector search at scale: ANN against the exact numpy floor, embedded and on PostgreSQL.

    python -m bench.assets.scale [--n 1000000] [--queries 200] [--backends usearch,pgvector]
                                 [--http sqlite,postgresql] [--workdir DIR]

Synthetic unit vectors (384-d, like MiniLM's; clusters of ~1,000 around random centres),
one owner. In one run, on one machine: the exact scan (``ExactIndex``, numpy) sets the
floor and the truth; then each backend is built and timed: the tiered index's HNSW graph
(usearch, all cores) and pgvector's HNSW (COPY, then ``CREATE INDEX``). Queries run one at
a time through the same ``search`` the server uses; recall@10 is against the exact top 10.
A "filtered" row narrows every query to 10% of the scope (``allowed_ids``), the path a
tag or collection filter takes.

Synthetic clusters flatter recall (``reference/asset-search.md`` §3): treat the figures as
the speed side of the trade; re-measure recall on real embeddings before tuning ef_search.

Then the same vectors through the assets API (``http_hybrid``, ``bench/assets/http.py``):
browse, hybrid and image search through HTTP on SQLite and PostgreSQL, against the same
floor; the build column of the image row is the server's index fill at start.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from impasto.assets.search.browse import SEARCH_DEPTHS
from impasto.config import Settings
from impasto.vectors import ExactIndex, Hit, TieredIndex
from impasto.vectors.hnsw import HnswParams
from impasto.vectors.pgvector import PgVectorIndex

DIMS = 384
K = 10
OWNER = "bench"
SEED = 20261122


@dataclass
class Row:
    method: str
    build_s: float | None
    p50_ms: float
    p95_ms: float
    recall: float | None


def vectors(n: int, seed: int = SEED) -> np.ndarray:
    """Unit vectors around n/1000 centres, made in chunks to cap temporary memory."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(n // 1000, 10), DIMS)).astype(np.float32)
    out = np.empty((n, DIMS), np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        labels = rng.integers(0, len(centres), stop - start)
        chunk = centres[labels] + rng.standard_normal((stop - start, DIMS), np.float32) * 0.7
        out[start:stop] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    return out


def queries(data: np.ndarray, count: int) -> np.ndarray:
    rng = np.random.default_rng(SEED + 1)
    picked = data[rng.choice(len(data), count, replace=False)]
    noisy = picked + rng.standard_normal(picked.shape, np.float32) * 0.03
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def timed(
    search: Callable[[np.ndarray], list[Hit]], qs: np.ndarray
) -> tuple[list[list[str]], float, float]:
    results, times = [], []
    for q in qs:
        started = time.perf_counter()
        hits = search(q)
        times.append((time.perf_counter() - started) * 1000)
        results.append([h.id for h in hits])
    cuts = statistics.quantiles(times, n=20)
    return results, statistics.median(times), cuts[18]


def recall(found: list[list[str]], truth: list[list[str]]) -> float:
    return sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True)) / (K * len(truth))


def run_exact(
    data: np.ndarray, ids: list[str], qs: np.ndarray, allowed: Collection[str]
) -> tuple[list[Row], list[list[str]], list[list[str]]]:
    exact = ExactIndex("bench@1", DIMS)
    started = time.perf_counter()
    exact.add(OWNER, ids, data)
    load = time.perf_counter() - started
    truth, p50, p95 = timed(lambda q: exact.search(OWNER, q, K), qs)
    truth_f, p50f, p95f = timed(lambda q: exact.search(OWNER, q, K, allowed), qs)
    rows = [
        Row("exact numpy scan (floor)", load, p50, p95, 1.0),
        Row("exact numpy scan, filtered 10%", None, p50f, p95f, 1.0),
    ]
    return rows, truth, truth_f


def depth_rows(name: str, index: TieredIndex | PgVectorIndex, qs: np.ndarray) -> list[Row]:
    """What one search leg costs the index at each depth it asks for (``browse.search_depth``:
    100 for the first pages, 1,000 past them), at the server's default ef_search."""
    index.set_ef_search(Settings().vector_ef_search)
    rows = []
    for depth in SEARCH_DEPTHS:
        _, p50, p95 = timed(lambda q: index.search(OWNER, q, depth), qs)  # noqa: B023
        rows.append(Row(f"{name}, {depth} candidates (a search leg)", None, p50, p95, None))
    return rows


def run_usearch(
    data: np.ndarray,
    ids: list[str],
    qs: np.ndarray,
    truths: tuple[list[list[str]], list[list[str]]],
    allowed: Collection[str],
    workdir: Path,
    efs: list[int],
) -> list[Row]:
    index = TieredIndex(
        "bench@1",
        DIMS,
        exact_limit=len(ids) // 20,
        data_dir=workdir / "usearch",
        params=HnswParams(),
    )
    started = time.perf_counter()
    index.add(OWNER, ids, data)  # past exact_limit: builds (or reloads) the graph
    build = time.perf_counter() - started
    print(f"usearch: HNSW build {build:.1f} s (with the exact copy and the save)", flush=True)
    rows = []
    for ef in efs:
        index.set_ef_search(ef)
        found, p50, p95 = timed(lambda q: index.search(OWNER, q, K), qs)
        rows.append(Row(f"usearch HNSW, ef {ef}", build, p50, p95, recall(found, truths[0])))
        found, p50, p95 = timed(lambda q: index.search(OWNER, q, K, allowed), qs)
        rows.append(
            Row(f"usearch HNSW, ef {ef}, filtered 10%", None, p50, p95, recall(found, truths[1]))
        )
    return rows + depth_rows("usearch", index, qs)


def run_pgvector(
    data: np.ndarray,
    ids: list[str],
    qs: np.ndarray,
    truths: tuple[list[list[str]], list[list[str]]],
    allowed: Collection[str],
    workdir: Path,
    efs: list[int],
) -> list[Row]:
    from sqlalchemy import text

    from bench.catalog.servers import dedicated_memory, postgres
    from impasto.kit.db import Database

    rows = []
    with postgres(workdir / "pg", dedicated_memory()) as url:
        database = Database(url, pool_size=2)
        index = PgVectorIndex(database, "bench@1", DIMS, exact_limit=len(ids) // 20)
        with database.write_engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {index.table}"))
            conn.execute(text(f"DROP INDEX IF EXISTS {index.table}_hnsw"))
        started = time.perf_counter()
        for begin in range(0, len(ids), 100_000):  # binary COPY + upsert, 100k at a time
            index.add(OWNER, ids[begin : begin + 100_000], data[begin : begin + 100_000])
        loaded = time.perf_counter() - started
        with database.write_engine.begin() as conn:  # the load built one with its own settings
            conn.execute(text(f"DROP INDEX IF EXISTS {index.table}_hnsw"))
        started = time.perf_counter()
        with database.write_engine.begin() as conn:
            conn.execute(text("SET maintenance_work_mem = '4GB'"))
            conn.execute(text(f"SET max_parallel_maintenance_workers = {os.cpu_count() or 2}"))
            conn.execute(
                text(
                    f"CREATE INDEX {index.table}_hnsw ON {index.table} USING hnsw"
                    " (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 128)"
                )
            )
            conn.execute(text(f"ANALYZE {index.table}"))
        build = time.perf_counter() - started
        print(f"pgvector: load (binary COPY) {loaded:.1f} s, HNSW build {build:.1f} s", flush=True)
        for ef in efs:
            index.set_ef_search(ef)
            found, p50, p95 = timed(lambda q: index.search(OWNER, q, K), qs)
            rows.append(Row(f"pgvector HNSW, ef {ef}", build, p50, p95, recall(found, truths[0])))
            found, p50, p95 = timed(lambda q: index.search(OWNER, q, K, allowed), qs[:50])
            rows.append(
                Row(
                    f"pgvector HNSW, ef {ef}, filtered 10%",
                    None,
                    p50,
                    p95,
                    recall(found, truths[1][:50]),
                )
            )
        rows += depth_rows("pgvector", index, qs)
        exact = PgVectorIndex(database, "bench@1", DIMS, exact_limit=len(ids) + 1)
        found, p50, p95 = timed(lambda q: exact.search(OWNER, q, K), qs[:10])
        rows.append(
            Row("pgvector exact scan (no index)", None, p50, p95, recall(found, truths[0][:10]))
        )
        database.dispose()
    return rows


def http_hybrid(workdir: Path, data: np.ndarray, count: int, kinds: list[str]) -> list[Row]:
    """Browse, hybrid and image search through the API over the same vectors
    (``bench/assets/http.py``); the image rows' recall@10 is against exact search."""
    from bench.assets import http

    picks = np.random.default_rng(SEED + 2).choice(len(data), count, replace=False).tolist()
    truth = [np.argsort(-(data @ data[i]))[:K].tolist() for i in picks]
    rows = []
    for kind in kinds:
        for name, build, p50, p95, rec in http.run(kind, workdir, data, picks, truth):
            rows.append(Row(name, build, p50, p95, rec))
    return rows


def report(row: Row, floor: float) -> None:
    build = f"{row.build_s:.1f}" if row.build_s is not None else ""
    rec = f"{row.recall:.3f}" if row.recall is not None else ""
    print(
        f"| {row.method} | {build} | {row.p50_ms:.2f} | {row.p95_ms:.2f} | "
        f"{row.p50_ms / floor:.3f}x | {rec} |",
        flush=True,
    )


def report_all(rows: list[Row], floor: float) -> list[Row]:
    for row in rows:
        report(row, floor)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backends", default="usearch,pgvector")
    parser.add_argument("--ef", default="32,64,128")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--http", default="sqlite,postgresql", help="'' to skip the API rows")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="impasto-bench-assets-"))
    efs = [int(x) for x in args.ef.split(",")]
    print(
        f"{args.n:,} vectors x {DIMS}, {args.queries} queries, k={K}, "
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
        flush=True,
    )
    started = time.perf_counter()
    data = vectors(args.n)
    ids = [f"v{i:07d}" for i in range(args.n)]
    qs = queries(data, args.queries)
    allowed = frozenset(ids[::10])
    print(f"generated in {time.perf_counter() - started:.1f} s", flush=True)
    print("\n| method | build (s) | p50 (ms) | p95 (ms) | p50 vs floor | recall@10 |")
    print("| --- | --- | --- | --- | --- | --- |", flush=True)
    rows, truth, truth_f = run_exact(data, ids, qs, allowed)
    floor = rows[0].p50_ms
    # Rows print as they come: a run stopped during a long build keeps what it measured.
    for row in rows:
        report(row, floor)
    backends = set(args.backends.split(","))
    if "usearch" in backends:
        report_all(run_usearch(data, ids, qs, (truth, truth_f), allowed, workdir, efs), floor)
    if "pgvector" in backends:
        report_all(run_pgvector(data, ids, qs, (truth, truth_f), allowed, workdir, efs), floor)
    if args.http:
        for kind in args.http.split(","):
            report_all(http_hybrid(workdir, data, args.queries, [kind]), floor)
    return 0


if __name__ == "__main__":
    sys.exit(main())
