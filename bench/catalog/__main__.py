"""Catalog benchmark: model search through HTTP against the raw SQL query, on SQLite and
PostgreSQL, in one run.

    python -m bench.catalog [--entries 100000] [--databases sqlite,postgresql]
                            [--requests 200] [--workdir DIR]

For each database: generate a deterministic synthetic catalog, load it, start a real
``impasto serve`` on it, create an API key for an owner with private entries and favorites,
warm up, then time every scenario sequentially over one keep-alive connection, and the
repository's ``search_raw`` for the same scenario in this process against the same
database, alternating in rounds so both see the same machine. ``--workdir`` keeps the
loaded databases for the next run (they are reused when the size and seed match).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import select

from bench.catalog import scenarios
from bench.catalog.data import STUDIOS, generate
from bench.catalog.load import add_favorites, create_key, load
from bench.catalog.servers import impasto_serve, postgres
from impasto.kit.db import Database
from impasto.kit.db.migrate import upgrade
from impasto.models import CatalogEntry

VIEWER = STUDIOS[0]
SEED = 20261121


@contextmanager
def database_for(kind: str, workdir: Path) -> Iterator[tuple[Path, str | None, str]]:
    """(serve's data dir, IMPASTO_DATABASE_URL or None, URL for this process)."""
    data_dir = workdir / f"serve-{kind}"
    if kind == "sqlite":
        yield data_dir, None, f"sqlite:///{(data_dir / 'impasto.db').absolute()}"
        return
    with postgres(workdir / "pgdata") as url:
        yield data_dir, url, url


def prepare(database: Database, marker: Path, entries: int) -> str:
    upgrade(database)
    if marker.exists():
        return f"reused ({marker.parent})"
    count, seconds = load(database, generate(entries, SEED))
    add_favorites(database, VIEWER, list(range(1, count + 1, 37)))
    marker.write_text(json.dumps({"entries": count, "seed": SEED}))
    return f"loaded {count} entries in {seconds:.0f} s"


def run_one(kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    with database_for(kind, workdir) as (data_dir, server_url, url):
        data_dir.mkdir(parents=True, exist_ok=True)
        database = Database(url, pool_size=1)
        marker = workdir / f"{kind}-{args.entries}-{SEED}.loaded"
        print(f"[{kind}] {prepare(database, marker, args.entries)}", flush=True)
        credential = create_key(database, VIEWER)
        with database.session(write=False) as session:
            pool = list(
                session.scalars(
                    select(CatalogEntry.endpoint_id)
                    .where(CatalogEntry.privacy != "private")
                    .order_by(CatalogEntry.id)
                )
            )
        with impasto_serve(data_dir, server_url) as (address, server):
            headers = {"Authorization": f"Key {credential}"}
            with httpx.Client(base_url=address, headers=headers, timeout=60) as client:
                suite = scenarios.build(client, database, VIEWER, pool, SEED)
                for scenario in suite:  # warm-up: caches, plans, pools
                    scenarios.time_http(client, scenario, args.warmup)
                    scenarios.time_raw(database, scenario, args.warmup)
                    scenario.clear()
                floor: list[float] = []
                per_round = max(1, args.requests // args.rounds)
                for _ in range(args.rounds):
                    floor += scenarios.time_floor(client, per_round)
                    for scenario in suite:
                        scenarios.time_http(client, scenario, per_round)
                        scenarios.time_raw(database, scenario, per_round)
                rss = psutil.Process(server.pid).memory_info().rss
        database.dispose()
    return {
        "database": kind,
        "floor": floor,
        "server_rss": rss,
        "scenarios": [
            {
                "name": s.name,
                "http": s.http,
                "raw": s.raw,
                "hits": s.hits,
                "http_by": s.http_by,
                "raw_by": s.raw_by,
            }
            for s in suite
        ],
    }


def ms(value: float) -> str:
    return f"{value * 1000:.2f}"


def report(result: dict[str, Any]) -> list[str]:
    p = scenarios.percentile
    floor = result["floor"]
    lines = [
        f"\n{result['database']}: GET /health p50 {ms(p(floor, 0.5))} ms, "
        f"p95 {ms(p(floor, 0.95))} ms; server RSS {result['server_rss'] >> 20} MiB",
        "| scenario | HTTP p50 | HTTP p95 | HTTP p99 | raw p50 | raw p95 | raw p99 "
        "| HTTP/raw p50 | HTTP/raw p95 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in result["scenarios"]:
        http, raw = s["http"], s["raw"]
        lines.append(
            f"| {s['name']} | {ms(p(http, 0.5))} | {ms(p(http, 0.95))} | {ms(p(http, 0.99))} "
            f"| {ms(p(raw, 0.5))} | {ms(p(raw, 0.95))} | {ms(p(raw, 0.99))} "
            f"| {p(http, 0.5) / p(raw, 0.5):.1f}x | {p(http, 0.95) / p(raw, 0.95):.1f}x |"
        )
    lines += [
        "",
        "| q variant | rows on page 1 | HTTP p50 | raw p50 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for s in result["scenarios"]:
        if not s["name"].startswith("q"):
            continue
        for label, http in s["http_by"].items():
            raw = s["raw_by"][label]
            lines.append(
                f"| {s['name']}: `{label}` | {s['hits'][label]} | {ms(p(http, 0.5))} "
                f"| {ms(p(raw, 0.5))} |"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=240, help="timed per scenario")
    parser.add_argument("--rounds", type=int, default=4, help="HTTP/raw alternations")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=None, help="keep and reuse databases")
    parser.add_argument("--json", type=Path, default=None, help="write raw timings here")
    args = parser.parse_args()
    kinds = [kind.strip() for kind in args.databases.split(",") if kind.strip()]
    unknown = set(kinds) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="impasto-bench-catalog-"))
    workdir.mkdir(parents=True, exist_ok=True)
    cleanup = nullcontext() if args.workdir else _removed(workdir)
    results = []
    with cleanup:
        for kind in kinds:
            results.append(run_one(kind, args, workdir))
    print(
        f"\n{args.entries} entries; {args.requests} timed requests per scenario in "
        f"{args.rounds} rounds; {psutil.cpu_count()} CPUs, {platform.processor() or 'cpu'}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    for result in results:
        print("\n".join(report(result)))
    if args.json:
        args.json.write_text(json.dumps(results))


@contextmanager
def _removed(path: Path) -> Iterator[None]:
    try:
        yield
    finally:
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
