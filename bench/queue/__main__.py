"""Round trips of an empty ``impasto/debug`` request: HTTP + database + worker vs the floor.

The floor is the same request straight through a ``RunnerHandle`` (the runner process,
no HTTP, no database) and through ``LocalRunner`` (in-process). Everything runs in one
invocation on one machine, so the ratios are what to read.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.files.__main__ import start_server
from impasto.apps.debug import DebugApp
from impasto.runners import RunnerHandle, RunnerSpec
from impasto.runners.local import LocalRunner
from impasto.runners.request_run import RunRequest

APP = "impasto/debug"


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples) * 1000, pct(samples, 0.95) * 1000


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


def through_api(n: int, total: int, clients: int, data_dir: Path) -> dict[str, tuple[float, ...]]:
    server, address, credential = start_server(data_dir)
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
    return {"/run": (*run_lat, run_tp), "/queue (submit, poll 5 ms)": (*queue_lat, float("nan"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=200, help="sequential requests per latency figure")
    parser.add_argument("--total", type=int, default=400, help="requests per throughput figure")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="impasto-bench-queue-") as scratch:
        root = Path(scratch)
        rows = asyncio.run(floors(args.n, args.total, args.clients, root / "spool"))
        rows.update(through_api(args.n, args.total, args.clients, root / "data"))
    base_p50, _, base_tp = rows["RunnerHandle"]
    out = sys.stdout
    out.write(f"{'path':<28}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>9}{'p50 x':>8}{'req/s x':>9}\n")
    for name, (p50, p95, tp) in rows.items():
        ratios = f"{p50 / base_p50:>8.1f}{tp / base_tp:>9.2f}"
        out.write(f"{name:<28}{p50:>9.2f}{p95:>9.2f}{tp:>9.0f}{ratios}\n")


if __name__ == "__main__":
    main()
