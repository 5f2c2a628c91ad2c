"""Round trips of an empty ``impasto/debug`` request: HTTP + database + worker vs the floor.

The floor is the same request straight through a ``RunnerHandle`` (the runner process,
no HTTP, no database) and through ``LocalRunner`` (in-process). Everything runs in one
invocation on one machine, so the ratios are what to read.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.catalog.servers import postgres
from bench.files.__main__ import start_server
from impasto.apps.debug import DebugApp
from impasto.catalog.repository import CatalogRepository
from impasto.config import Settings
from impasto.container import build_container, configured_apps
from impasto.kit.db.migrate import upgrade
from impasto.runners import RunnerHandle, RunnerSpec
from impasto.runners.local import LocalRunner
from impasto.runners.request_run import RunRequest
from impasto.runs.queue.completion import Result
from impasto.runs.queue.leases import LeaseService
from impasto.runs.queue.options import SubmitOptions
from impasto.runs.queue.service import Caller, RunService
from impasto.runs.tasks import deploy_configured_apps

APP = "impasto/debug"


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(samples: list[float]) -> tuple[float, float, float]:
    return (
        statistics.median(samples) * 1000,
        pct(samples, 0.95) * 1000,
        pct(samples, 0.99) * 1000,
    )


async def timed_async(call: Callable[[], Awaitable[object]], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        out.append(time.perf_counter() - start)
    return out


async def async_throughput(
    call: Callable[[], Awaitable[object]], total: int, clients: int
) -> float:
    async def worker(count: int) -> None:
        for _ in range(count):
            await call()

    start = time.perf_counter()
    await asyncio.gather(*(worker(total // clients) for _ in range(clients)))
    return (total // clients * clients) / (time.perf_counter() - start)


async def floors(n: int, total: int, clients: int, spool: Path) -> dict[str, tuple[float, ...]]:
    handle = await RunnerHandle.start(
        RunnerSpec(app=f"{DebugApp.__module__}:DebugApp", spool_dir=spool)
    )
    counter = iter(range(10**9))

    async def via_handle() -> None:
        run = await handle.submit(RunRequest(request_id=f"b{next(counter)}", payload={}))
        await run.outcome()

    local = LocalRunner(DebugApp, spool / "local")
    await local.start()

    async def via_local() -> None:
        await local.call("/", {})

    try:
        await timed_async(via_handle, 20)  # warm-up
        handle_lat = summary(await timed_async(via_handle, n))
        handle_tp = await async_throughput(via_handle, total, clients)
        local_lat = summary(await timed_async(via_local, n))
        local_tp = await async_throughput(via_local, total, clients)
    finally:
        await local.stop()
        await handle.stop()
    return {"RunnerHandle": (*handle_lat, handle_tp), "LocalRunner": (*local_lat, local_tp)}


def raw_ceiling(n: int, database_url: str, data_dir: Path) -> tuple[float, ...]:
    """The queue's own SQL, in-process, no HTTP and no runner: submit, claim and complete
    one request per loop, each step its own transaction as in the server."""
    settings = Settings(
        data_dir=data_dir, database_url=database_url, log_level="warning", builtin_apps=True
    )
    container = build_container(settings)
    try:
        upgrade(container.database)
        deploy_configured_apps(configured_apps(settings), container.database, container.runs)
        caller = Caller(owner="bench")
        with container.database.session(write=True) as session:
            CatalogRepository(session).ensure_account("bench", container.clock.now())

        def once() -> None:
            with container.database.session(write=True) as session:
                RunService(session, container.runs).submit(
                    caller, APP, {}, SubmitOptions(), mode="queue", base_url="http://bench"
                )
            with container.database.session(write=True) as session:
                [claim] = LeaseService(session, container.runs).claim("bench", APP, 1)
            with container.database.session(write=True) as session:
                done = Result(status_code=200, body={"payload": None, "attempt": 1})
                LeaseService(session, container.runs).finish(
                    "bench", claim.request_id, claim.attempt, done
                )

        for _ in range(20):
            once()
        samples = []
        for _ in range(n):
            start = time.perf_counter()
            once()
            samples.append(time.perf_counter() - start)
        return (*summary(samples), 1 / statistics.mean(samples))
    finally:
        container.close()


def through_api(
    n: int, total: int, clients: int, data_dir: Path, database_url: str | None
) -> dict[str, tuple[float, ...]]:
    server, address, credential = start_server(data_dir, database_url)
    headers = {"Authorization": f"Key {credential}"}
    try:
        with httpx.Client(base_url=address, headers=headers, timeout=120) as client:

            def run_once() -> None:
                response = client.post(f"/run/{APP}", json={})
                response.raise_for_status()

            def queue_once() -> None:
                submitted = client.post(f"/queue/{APP}", json={}).json()
                while client.get(submitted["status_url"]).json()["status"] != "COMPLETED":
                    time.sleep(0.005)

            def sample(call: Callable[[], None], count: int) -> list[float]:
                out = []
                for _ in range(count):
                    start = time.perf_counter()
                    call()
                    out.append(time.perf_counter() - start)
                return out

            sample(run_once, 20)  # warm-up: starts the runner
            run_lat = summary(sample(run_once, n))
            queue_lat = summary(sample(queue_once, n))
            per_client = total // clients
            start = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(lambda _: sample(run_once, per_client), range(clients)))
            run_tp = per_client * clients / (time.perf_counter() - start)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"/run": (*run_lat, run_tp), "/queue (poll 5 ms)": (*queue_lat, float("nan"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=200, help="sequential requests per latency figure")
    parser.add_argument("--total", type=int, default=400, help="requests per throughput figure")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma separated")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="impasto-bench-queue-") as scratch:
        root = Path(scratch)
        rows = asyncio.run(floors(args.n, args.total, args.clients, root / "spool"))
        for database in args.databases.split(","):
            with _database(database, root / database) as url:
                api = through_api(args.n, args.total, args.clients, root / f"{database}-api", url)
                rows.update({f"{name} [{database}]": row for name, row in api.items()})
                rows[f"raw SQL ceiling [{database}]"] = raw_ceiling(
                    args.n, url or f"sqlite:///{root / database}-raw.db", root / f"{database}-raw"
                )
    base_p50, *_, base_tp = rows["RunnerHandle"]
    out = sys.stdout
    heads = f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>9}{'p50 x':>8}{'req/s x':>9}"
    out.write(f"{'path':<34}{heads}\n")
    for name, (p50, p95, p99, tp) in rows.items():
        ratios = f"{p50 / base_p50:>8.1f}{tp / base_tp:>9.2f}"
        out.write(f"{name:<34}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}{tp:>9.0f}{ratios}\n")


@contextlib.contextmanager
def _database(name: str, directory: Path) -> Iterator[str | None]:
    if name == "sqlite":
        yield None
    elif name == "postgresql":
        with postgres(directory) as url:
            yield url
    else:
        raise SystemExit(f"unknown database {name!r}: use sqlite or postgresql")


if __name__ == "__main__":
    main()
