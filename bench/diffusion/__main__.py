"""The platform's cost on a generation, and pull throughput, each against its floor.

``python -m bench.diffusion [--calls 20] [--steps 4] [--pull-mib 256]``

1. **Overhead.** The tiny test pipeline (random weights, CPU) generates a 64x64 image:
   called directly in this process (pipeline + PNG encoding), then imported with
   ``impasto models import --as fal-ai/flux/dev`` into a fresh ``impasto serve`` and run
   with ``fal_client.subscribe`` (submit, status polls, result, image download). The ratio
   of the medians is what the platform adds to a generation this small: queueing, the
   runner hop, storing the output as a file and an asset, fal's polling.
2. **Pull throughput.** The stand-in Hub of the tests serves a repository with one large
   weights file; the weights manager pulls it (huggingface_hub, then checksum
   verification), against a plain streamed ``GET`` of the same file to disk. Ratio of
   MiB/s, same server, same run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from tests.integration.weights.standin_hub import HubRepo, StandinHub, serve_hub
from tests.unit.apps.tiny_diffusion import build_tiny_pipeline

from bench.files.__main__ import start_server
from impasto.kit.clock import SystemClock
from impasto.kit.db import Database
from impasto.kit.db.migrate import upgrade
from impasto.weights.manager import WeightsLayout, WeightsManager

ALIAS = "fal-ai/flux/dev"


def direct(pipeline: Path, calls: int, steps: int) -> list[float]:
    import torch
    from diffusers import DiffusionPipeline

    pipe = DiffusionPipeline.from_pretrained(pipeline, dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    times = []
    for index in range(calls + 2):
        started = time.perf_counter()
        with torch.inference_mode():
            image = pipe(
                prompt="a red fox",
                width=64,
                height=64,
                num_inference_steps=steps,
                generator=torch.Generator("cpu").manual_seed(index),
            ).images[0]
        image.save(io.BytesIO(), format="PNG")
        if index >= 2:  # the first calls warm caches up
            times.append(time.perf_counter() - started)
    return times


def through_fal_client(pipeline: Path, calls: int, steps: int, root: Path) -> list[float]:
    import fal_client
    import fal_client.client as fc

    env = {**os.environ, "IMPASTO_DATA_DIR": str(root / "data"), "IMPASTO_EMBEDDERS": "hash"}
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "impasto", "models", "import", str(pipeline), "--as", ALIAS],
        env=env,
        check=True,
        capture_output=True,
    )
    os.environ["IMPASTO_EMBEDDERS"] = "hash"
    server, address, credential = start_server(root / "data")
    try:
        os.environ["FAL_KEY"] = credential
        fc.QUEUE_URL_FORMAT = f"{address}/queue/"
        fc.RUN_URL_FORMAT = f"{address}/run/"
        client = fal_client.SyncClient()
        arguments = {
            "prompt": "a red fox",
            "image_size": {"width": 64, "height": 64},
            "num_inference_steps": steps,
            "output_format": "png",
        }
        times = []
        with httpx.Client() as http:
            for index in range(calls + 2):
                started = time.perf_counter()
                result = client.subscribe(ALIAS, arguments={**arguments, "seed": index})
                http.get(result["images"][0]["url"]).raise_for_status()
                if index >= 2:  # the first call starts the runner
                    times.append(time.perf_counter() - started)
        return times
    finally:
        server.terminate()
        server.wait(timeout=30)


def pull_rates(size_mib: int, rounds: int, root: Path) -> tuple[list[float], list[float]]:
    weights = os.urandom(size_mib << 20)
    repo = HubRepo(
        files={
            "model_index.json": json.dumps(
                {"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "UNet2D"]}
            ).encode(),
            "unet/config.json": b"{}",
            "unet/diffusion_pytorch_model.safetensors": weights,
        }
    )
    pulls: list[float] = []
    plain: list[float] = []
    serving = serve_hub(StandinHub(repos={"bench/big": repo}))
    hub = next(serving)
    try:
        url = f"{hub.url}/bench/big/resolve/main/unet/diffusion_pytorch_model.safetensors"
        for round_ in range(rounds):
            target = root / f"plain-{round_}.bin"
            started = time.perf_counter()
            with httpx.stream("GET", url) as response, target.open("wb") as out:
                for block in response.iter_bytes(1 << 20):
                    out.write(block)
            plain.append(size_mib / (time.perf_counter() - started))
            target.unlink()

            database = Database(f"sqlite:///{root / f'pull-{round_}.db'}", pool_size=1)
            upgrade(database)
            layout = WeightsLayout(root / f"weights-{round_}")
            manager = WeightsManager(
                database, SystemClock(), layout, operator="admin", hub_endpoint=hub.url
            )
            started = time.perf_counter()
            manager.pull("bench/big")
            pulls.append(size_mib / (time.perf_counter() - started))
            database.dispose()
    finally:
        serving.close()
    return pulls, plain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--pull-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    with tempfile.TemporaryDirectory(prefix="impasto-bench-diffusion-") as folder:
        root = Path(folder)
        pipeline = build_tiny_pipeline(root / "pipeline")
        bare = direct(pipeline, args.calls, args.steps)
        served = through_fal_client(pipeline, args.calls, args.steps, root)
        pulls, plain = pull_rates(args.pull_mib, args.rounds, root)
    report: dict[str, Any] = {
        "generation_direct_ms": round(statistics.median(bare) * 1000, 1),
        "generation_fal_client_ms": round(statistics.median(served) * 1000, 1),
        "overhead_ratio": round(statistics.median(served) / statistics.median(bare), 2),
        "overhead_ms": round((statistics.median(served) - statistics.median(bare)) * 1000, 1),
        "pull_mib_per_s": [round(rate) for rate in pulls],
        "plain_get_mib_per_s": [round(rate) for rate in plain],
        "pull_over_plain": round(statistics.median(pulls) / statistics.median(plain), 2),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
