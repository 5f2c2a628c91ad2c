"""Two questions, each answered as a ratio measured in one run:

1. What does metering add to a request's completion? The queue's own submit, claim and
   finish (each its own transaction, as in the server) with the container's completion
   hooks, against the same hooks without ``meter``; rounds alternate so drift hits both.
2. What does a usage report cost over a large ledger? ``GET /v1/models/usage`` (summary
   and daily time series) and ``/v1/account/focus`` over N ledger rows, against the floor
   of reading those rows (one Core SELECT of the owner's window, no aggregation).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from bench.catalog.servers import postgres
from impasto.app import create_app
from impasto.catalog.repository import CatalogRepository
from impasto.config import Settings
from impasto.container import Container, build_container, configured_apps
from impasto.keys.service import KeyService
from impasto.kit.db.migrate import upgrade
from impasto.models import KeyScope, UsageEvent
from impasto.runs.queue.completion import Result
from impasto.runs.queue.leases import LeaseService
from impasto.runs.queue.options import SubmitOptions
from impasto.runs.queue.service import Caller, RunDeps, RunService
from impasto.runs.tasks import deploy_configured_apps
from impasto.usage.metering import meter

APP = "impasto/debug"
ROUNDS = 6


@contextmanager
def container_on(database_url: str, data_dir: Path) -> Iterator[Container]:
    settings = Settings(
        data_dir=data_dir, database_url=database_url, log_level="warning", builtin_apps=True
    )
    container = build_container(settings)
    try:
        upgrade(container.database)
        deploy_configured_apps(configured_apps(settings), container.database, container.runs)
        with container.database.session(write=True) as session:
            CatalogRepository(session).ensure_account("bench", container.clock.now())
        yield container
    finally:
        container.close()


def completions(container: Container, n: int) -> dict[str, float]:
    """Mean seconds per submit + claim + finish, with and without the ledger write."""
    unmetered = replace(container.runs, hooks=[h for h in container.runs.hooks if h is not meter])
    caller = Caller(owner="bench", key_id="bench-key")
    result = Result(status_code=200, body={"images": [{"url": "x"}]})

    def once(deps: RunDeps) -> None:
        with container.database.session(write=True) as session:
            RunService(session, deps).submit(
                caller, APP, {}, SubmitOptions(), mode="queue", base_url="http://bench"
            )
        with container.database.session(write=True) as session:
            [claim] = LeaseService(session, deps).claim("bench", APP, 1)
        with container.database.session(write=True) as session:
            LeaseService(session, deps).finish("bench", claim.request_id, claim.attempt, result)

    timings: dict[str, list[float]] = {"with meter": [], "without": []}
    for deps in (container.runs, unmetered):
        for _ in range(20):
            once(deps)  # warm both paths
    for _ in range(ROUNDS):
        for name, deps in (("with meter", container.runs), ("without", unmetered)):
            start = time.perf_counter()
            for _ in range(n // ROUNDS):
                once(deps)
            timings[name].append((time.perf_counter() - start) / (n // ROUNDS))
    return {name: statistics.median(values) for name, values in timings.items()}


def seed_ledger(container: Container, rows: int, start: datetime) -> None:
    endpoints = [f"bench/model-{i}" for i in range(20)]
    batch = []
    for i in range(rows):
        at = start + timedelta(seconds=i * 86400 * 28 / rows)
        batch.append(
            {
                "request_id": f"r{i:012d}",
                "owner": "bench",
                "key_id": f"key-{i % 5}",
                "endpoint_id": endpoints[i % len(endpoints)],
                "app_id": "bench/app",
                "status_code": 200,
                "error_type": None,
                "unit": "image",
                "quantity": float(1 + i % 4),
                "unit_price_nano": 25_000_000,
                "cost_nano": 25_000_000 * (1 + i % 4),
                "currency": "USD",
                "prepare_seconds": 0.1,
                "duration_seconds": 1.0 + (i % 7) / 10,
                "runner_seconds": 1.0,
                "created_at": at,
                "completed_at": at,
            }
        )
        if len(batch) == 5000:
            with container.database.session(write=True) as session:
                session.execute(insert(UsageEvent), batch)
            batch = []
    if batch:
        with container.database.session(write=True) as session:
            session.execute(insert(UsageEvent), batch)


def reports(container: Container, rows: int) -> dict[str, float]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    seed_ledger(container, rows, start)
    with container.database.session(write=True) as session:
        _, credential = KeyService(session, container.clock, container.ids).create(
            owner="bench", scope=KeyScope.ADMIN, alias="bench", created_by="bench"
        )
    headers = {"Authorization": f"Key {credential}"}
    window = {"start": "2026-01-01", "end": "2026-01-29"}

    def floor() -> None:
        with container.database.session(write=False) as session:
            stmt = select(*UsageEvent.__table__.columns).where(
                UsageEvent.owner == "bench",
                UsageEvent.completed_at >= start,
                UsageEvent.completed_at < start + timedelta(days=28),
            )
            assert len(session.execute(stmt).all()) == rows

    with TestClient(create_app(container.settings, container)) as client:

        def usage() -> None:
            params = {**window, "expand": "summary,time_series", "timeframe": "day"}
            response = client.get("/v1/models/usage", params=params, headers=headers)
            assert response.status_code == 200, response.text

        def focus() -> None:
            params = {"source": "estimate", **window}
            response = client.get("/v1/account/focus", params=params, headers=headers)
            assert response.status_code == 200, response.text

        calls: dict[str, Callable[[], None]] = {
            "floor: SELECT the rows": floor,
            "GET /v1/models/usage": usage,
            "GET /v1/account/focus": focus,
        }
        timings: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(3):
            for name, call in calls.items():
                begin = time.perf_counter()
                call()
                timings[name].append(time.perf_counter() - begin)
    return {name: min(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="impasto-bench-usage-") as tmp:
        root = Path(tmp)
        databases: list[tuple[str, object]] = [
            ("SQLite", nullcontext(f"sqlite:///{root / 'sqlite' / 'impasto.db'}"))
        ]
        if args.postgres:
            databases.append(("PostgreSQL", postgres(root / "pg")))
        for label, url_context in databases:
            with url_context as url:  # type: ignore[attr-defined]
                (root / label).mkdir(exist_ok=True)
                with container_on(url, root / label) as container:
                    done = completions(container, args.requests)
                    ratio = done["with meter"] / done["without"]
                    print(f"[{label}] completion (submit + claim + finish), median per request:")
                    for name, seconds in done.items():
                        print(f"  {name:<12} {seconds * 1000:8.3f} ms")
                    print(f"  metering costs x{ratio:.3f} of the unmetered path")
                with container_on(url, root / f"{label}-reports") as container:
                    times = reports(container, args.rows)
                    base = times["floor: SELECT the rows"]
                    print(f"[{label}] reports over {args.rows} ledger rows (best of 3):")
                    for name, seconds in times.items():
                        print(f"  {name:<24} {seconds * 1000:9.1f} ms  x{seconds / base:.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
