"""Studio: server time of the models and assets pages' first screen at 100,000 of each.

    python -m bench.studio [--models 100000] [--assets 100000] [--rounds 40] [--workdir DIR]

Loads the catalog benchmark's synthetic catalog (``bench/catalog``) and one owner's assets
(``bench/assets/http.load_assets``) into SQLite, starts a real ``impasto serve``, signs in
through ``POST /sign-in`` like a browser, and times, one request at a time over one
keep-alive connection, everything the server does before each page's first screen can
paint: the page shell, then the API calls its script makes first (the studio is a client
of the API, so those calls are the first screen's data):

- models: ``GET /models`` + ``GET /v1/models?limit=24``;
- assets: ``GET /assets`` + ``GET /v1/assets/tags`` + ``GET /v1/assets/collections`` +
  ``GET /v1/assets?limit=40&section=all-media``.

Beside them, in the same rounds: ``GET /health`` (the floor: one HTTP round trip through
the same middleware) and the same API calls made with ``Authorization: Key`` instead of
the cookie (the peer: what the cookie path costs over a key). Client-side wall time on
loopback, so it is an upper bound on server time. Figures: p50 and p95 in ms, and p50 as a
ratio of the floor.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np

from bench.assets.http import load_assets, loaded_before
from bench.catalog.data import generate
from bench.catalog.load import create_key, load
from bench.catalog.servers import impasto_serve
from impasto.kit.db import Database
from impasto.kit.db.migrate import upgrade

OWNER = "studio-bench"  # not one of the catalog's owners
BUDGET_MS = 300.0


def _seed(data_dir: Path, models: int, assets: int) -> str:
    """Loads the data unless an earlier run over this workdir did (it is seeded); a key."""
    database = Database(f"sqlite:///{(data_dir / 'impasto.db').absolute()}", pool_size=1)
    try:
        upgrade(database)
        if not loaded_before(database, OWNER, assets):
            started = time.perf_counter()
            load(database, generate(models))
            rng = np.random.default_rng(11)
            load_assets(database, OWNER, rng.standard_normal((assets, 16)).astype(np.float32))
            took = time.perf_counter() - started
            print(f"loaded {models} models and {assets} assets in {took:.0f} s")
        return create_key(database, OWNER)
    finally:
        database.dispose()


def _timed(call: Callable[[], None]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _get(client: httpx.Client, path: str, headers: dict[str, str] | None = None) -> None:
    answer = client.get(path, headers=headers)
    if answer.status_code != 200:
        raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:200]}")


def _load(
    client: httpx.Client, paths: list[str], headers: dict[str, str] | None
) -> Callable[[], None]:
    def run() -> None:
        for path in paths:
            _get(client, path, headers)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, default=100_000)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="impasto-bench-studio-"))
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    key = _seed(data_dir, args.models, args.assets)
    # No indexer: it would embed the 100,000 loaded assets, holding SQLite's one writer
    # (sign-in writes a session) and the CPU while the pages are timed.
    env = {
        "IMPASTO_EMBEDDERS": "hash",
        "IMPASTO_ASSETS_INDEX_INTERVAL_SECONDS": "0",
        "IMPASTO_BUILTIN_APPS": "false",
        "IMPASTO_EMBEDDED_WORKER": "false",
    }
    with (
        impasto_serve(data_dir, None, env=env, log=workdir / "serve.log") as (url, _),
        httpx.Client(base_url=url, timeout=60) as browser,
        httpx.Client(base_url=url, timeout=60) as keyed,
    ):
        signed = browser.post("/sign-in", data={"key": key}, follow_redirects=False)
        if signed.status_code != 303:
            raise RuntimeError(f"sign-in failed: {signed.status_code}")
        auth = {"Authorization": f"Key {key}"}
        models_api = ["/v1/models?limit=24"]
        assets_api = [
            "/v1/assets/tags",
            "/v1/assets/collections",
            "/v1/assets?limit=40&section=all-media",
        ]
        # Each case: the requests one page load makes, in order, and whose credential.
        plans: dict[str, tuple[httpx.Client, list[str], dict[str, str] | None]] = {
            "floor: GET /health": (browser, ["/health"], None),
            "models page shell": (browser, ["/models"], None),
            "models first screen (shell + first API page)": (
                browser,
                ["/models", *models_api],
                None,
            ),
            "peer: the same API page with a key": (keyed, models_api, auth),
            "assets page shell": (browser, ["/assets"], None),
            "assets first screen (shell + 3 API calls)": (browser, ["/assets", *assets_api], None),
            "peer: the same API calls with a key": (keyed, assets_api, auth),
            "of which GET /v1/assets?limit=40 alone": (browser, assets_api[-1:], None),
        }
        cases = {name: _load(*plan) for name, plan in plans.items()}
        for case in cases.values():  # warm caches and connections, untimed
            for _ in range(3):
                case()
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):  # interleaved, so every case sees the same machine
            for name, case in cases.items():
                samples[name].append(_timed(case))
    floor = statistics.median(samples["floor: GET /health"])
    machine = f"SQLite, {platform.machine()}, {args.rounds} rounds"
    print(f"\n{args.models} models, {args.assets} assets, {machine}")
    print(f"| what | p50 ms | p95 ms | p50 / floor | within {BUDGET_MS:.0f} ms |")
    print("| --- | --- | --- | --- | --- |")
    for name, values in samples.items():
        ordered = sorted(values)
        p50 = statistics.median(ordered)
        p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
        within = "yes" if p95 <= BUDGET_MS else "NO"
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {p50 / floor:.1f}x | {within} |")


if __name__ == "__main__":
    main()
