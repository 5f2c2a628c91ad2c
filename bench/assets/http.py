"""Browse and hybrid search through the HTTP API over the scale benchmark's vectors.

Loads the vectors as image embeddings of one owner's assets (``minilm-l6-v2@1``, the
384-d space of the ``minilm-text`` embedder, whose text tower embeds ``q``), with titles
drawn from a small vocabulary so the keyword leg has matches, then starts ``impasto serve``
on SQLite or PostgreSQL with that embedder and waits until the server has filled its
vector index (the ``asset_vectors_loaded`` log line, whose ``seconds`` is the fill and
graph build). On PostgreSQL it then runs ``VACUUM ANALYZE``, the work autovacuum would
otherwise do in the middle of the timings after the bulk load; on PostgreSQL the server
runs with a quarter of the memory as ``shared_buffers``. A re-run over the same workdir
finds the assets loaded and skips the load (the data is seeded; change the generator, and
use a fresh workdir). After ``WARMUP`` untimed searches of each kind that the timed ones
never repeat, timed, one request at a time over one keep-alive connection:

- browse: ``GET /v1/assets?limit=50``;
- hybrid: ``GET /v1/assets?q=<two words>&limit=50`` (keyword leg + text vector leg), each
  request a pair of words no other request asks, so the server's cache of query vectors
  never answers;
- image: Scenario's ``POST /scenario/v1/search/assets`` with ``image`` = an asset id and
  ``limit`` 10, which searches by that asset's stored vector through the vector leg alone;
  its recall@10 is against the exact top 10 over the same vectors.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import func, insert, select, text

from bench.catalog.load import create_key
from bench.catalog.servers import dedicated_memory, impasto_serve, postgres
from impasto.assets.search.keyword import search_text
from impasto.kit.db import Database
from impasto.kit.db.migrate import upgrade
from impasto.models import Account, Asset, AssetEmbedding

SPACE = "minilm-l6-v2@1"
WORDS = "red blue green sunset portrait ocean forest city night neon cat dog car robot".split()  # noqa: SIM905
BATCH = 10_000
# Untimed requests of each search kind first: a restarted PostgreSQL has empty buffers, and
# its first few hundred searches over a million assets read the graph's pages into them
# (hybrid p50/p95 86/164 ms in a first pass, 32/37 ms once warm: bench/README.md).
WARMUP = 200
WARMUP_QUERIES = 10_000  # word_pair indices far from the timed ones


def asset_ids(count: int) -> list[str]:
    return [str(uuid.UUID(int=i + 1)) for i in range(count)]


def load_assets(database: Database, owner: str, data: np.ndarray) -> list[str]:
    """One image asset per vector; returns the asset ids in vector order."""
    now = datetime.now(UTC)
    rng = np.random.default_rng(7)
    ids = asset_ids(len(data))
    with database.session(write=True) as session:
        session.execute(insert(Account), [{"name": owner, "created_at": now}])
    for start in range(0, len(data), BATCH):
        stop = min(len(data), start + BATCH)
        assets, vectors = [], []
        for i in range(start, stop):
            title = " ".join(rng.choice(WORDS, 3))
            created = now - timedelta(seconds=len(data) - i)
            assets.append(
                {
                    "id": i + 1,
                    "asset_id": ids[i],
                    "owner": owner,
                    "source": "upload",
                    "media_type": "image",
                    "file_name": f"{i}.png",
                    "title": title,
                    "search_text": search_text(title, None, f"{i}.png"),
                    "created_at": created,
                    "updated_at": created,
                }
            )
            vectors.append(
                {
                    "asset_pk": i + 1,
                    "space": SPACE,
                    "kind": "image",
                    "position": 0,
                    "dimensions": data.shape[1],
                    "vector": data[i].astype("<f4").tobytes(),
                    "created_at": created,
                }
            )
        with database.session(write=True) as session:
            session.execute(insert(Asset), assets)
            session.execute(insert(AssetEmbedding), vectors)
    return ids


def loaded_before(database: Database, owner: str, count: int) -> bool:
    """Whether an earlier run over this workdir loaded the same ``count`` assets (the data
    is seeded): a re-run then times them again without the load and the index build,
    297 s and 1,058 s at a million on PostgreSQL."""
    with database.session(write=False) as session:
        held = session.scalar(select(func.count()).where(Asset.owner == owner))
    return held == count


@contextmanager
def serve(data_dir: Path, database_url: str | None, log: Path) -> Iterator[tuple[str, float]]:
    """``impasto serve`` with the text embedder; yields its URL once its vector index is
    filled, and the seconds the fill took."""
    env = {
        "IMPASTO_EMBEDDERS": "minilm-text",
        "IMPASTO_LOG_LEVEL": "info",  # the fill's log line
        "IMPASTO_LOG_FORMAT": "json",
        "IMPASTO_BUILTIN_APPS": "false",
        "IMPASTO_EMBEDDED_WORKER": "false",
    }
    with impasto_serve(data_dir, database_url, env=env, log=log) as (address, server):
        while True:
            loaded = [
                json.loads(line)
                for line in log.read_text().splitlines()
                if "asset_vectors_loaded" in line
            ]
            if loaded:
                yield address, float(loaded[0]["seconds"])
                return
            if server.poll() is not None:
                raise RuntimeError(f"impasto serve exited; see {log}")
            time.sleep(1)


def timed(call: Callable[[int], Any], count: int) -> tuple[list[Any], float, float]:
    answers, times = [], []
    for i in range(count):
        started = time.perf_counter()
        answers.append(call(i))
        times.append((time.perf_counter() - started) * 1000)
    return answers, statistics.median(times), statistics.quantiles(times, n=20)[18]


def run(
    kind: str, workdir: Path, data: np.ndarray, picks: list[int], truth: list[list[int]]
) -> list[tuple[str, float | None, float, float, float | None]]:
    """(scenario, fill seconds, p50 ms, p95 ms, recall@10) rows for one database."""
    rows: list[tuple[str, float | None, float, float, float | None]] = []
    with _database(kind, workdir) as (data_dir, serve_url, url):
        database = Database(url, pool_size=2)
        upgrade(database)
        if loaded_before(database, "bench", len(data)):
            ids = asset_ids(len(data))
            print(f"{kind}: {len(data):,} assets already loaded in {workdir}")
        else:
            started = time.perf_counter()
            ids = load_assets(database, "bench", data)
            print(f"{kind}: {len(data):,} assets loaded in {time.perf_counter() - started:.0f} s")
        credential = create_key(database, "bench")
        database.dispose()
        with (
            serve(data_dir, serve_url, workdir / f"serve-{kind}.log") as (address, fill),
            httpx.Client(
                base_url=address, headers={"Authorization": f"Key {credential}"}, timeout=120
            ) as client,
        ):
            print(f"{kind}: vector index filled in {fill:.0f} s", flush=True)
            if serve_url:
                vacuum(serve_url)

            def get(path: str, **params: Any) -> dict[str, Any]:
                response = client.get(path, params=params)
                response.raise_for_status()
                body: dict[str, Any] = response.json()
                return body

            def image(asset: int) -> list[str]:
                body = {"image": ids[asset], "limit": 10}
                response = client.post("/scenario/v1/search/assets", json=body)
                response.raise_for_status()
                return [hit["id"] for hit in response.json()["hits"]]

            def hybrid(i: int) -> dict[str, Any]:
                return get("/v1/assets", q=word_pair(i), limit=50)

            # Warm-up with searches the timed ones never repeat: other assets' vectors,
            # and three-word texts (no cached query vector answers a timed search).
            taken = set(picks)
            drawn = np.random.default_rng(11).choice(len(ids), WARMUP + len(picks), replace=False)
            spare = [int(i) for i in drawn if i not in taken][:WARMUP]
            timed(lambda i: get("/v1/assets", limit=50), 5)
            timed(lambda i: image(spare[i]), WARMUP)
            timed(lambda i: hybrid(WARMUP_QUERIES + i), WARMUP)
            count = len(picks)
            _, p50, p95 = timed(lambda i: get("/v1/assets", limit=50), count)
            rows.append((f"HTTP browse, {kind}", None, p50, p95, None))
            _, p50, p95 = timed(hybrid, count)
            rows.append((f"HTTP hybrid `q`, {kind}", None, p50, p95, None))
            found, p50, p95 = timed(lambda i: image(picks[i]), count)
            wanted = [{ids[j] for j in top} for top in truth]
            hit = sum(len(set(f) & w) for f, w in zip(found, wanted, strict=True))
            rows.append((f"HTTP image search, {kind}", fill, p50, p95, hit / (10 * count)))
    return rows


def word_pair(i: int) -> str:
    """Two different words, a pair for each ``i`` below 182; a third word past that."""
    n = len(WORDS)
    first, second = i % n, (i % n + 1 + (i // n) % (n - 1)) % n
    third = f" {WORDS[(i // (n * (n - 1)) - 1) % n]}" if i >= n * (n - 1) else ""
    return f"{WORDS[first]} {WORDS[second]}{third}"


def vacuum(url: str) -> None:
    database = Database(url, pool_size=1)
    with database.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    database.dispose()


@contextmanager
def _database(kind: str, workdir: Path) -> Iterator[tuple[Path, str | None, str]]:
    data_dir = workdir / f"http-{kind}"
    data_dir.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        yield data_dir, None, f"sqlite:///{(data_dir / 'impasto.db').absolute()}"
        return
    with postgres(workdir / "http-pg", dedicated_memory()) as url:
        yield data_dir, url, url
