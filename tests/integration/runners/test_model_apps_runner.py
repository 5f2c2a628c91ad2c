"""The model-backed built-ins in real runner processes: weights load once in setup(),
outputs come back as spooled files or plain JSON."""

from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILModule

from impasto.apps import builtin_apps
from impasto.runners import LogEvent, ProgressEvent, RunRequest
from impasto.runners.errors import RunnerStartFailed
from tests.integration.runners.conftest import StartRunner

pytestmark = pytest.mark.anyio


async def test_text_embedding_in_a_runner(start_runner: StartRunner) -> None:
    app = builtin_apps()["impasto/text-embedding"]
    runner = await start_runner(app.import_path, env=app.env)
    assert runner.manifest is not None
    assert runner.manifest.endpoint_ids("impasto") == ["impasto/text-embedding"]
    payload = {"input": ["a dog runs on the beach", "a puppy playing by the sea", "tax law"]}
    outcome = await (await runner.submit(RunRequest("e-1", "/", payload))).outcome()
    assert outcome.status_code == 200, outcome.body
    dog, puppy, tax = np.array(outcome.body["embeddings"])
    assert dog @ puppy > dog @ tax + 0.3
    assert not outcome.files


@pytest.mark.timeout(300)  # torch and diffusers import twice (here and in the runner)
async def test_text_to_image_in_a_runner(start_runner: StartRunner, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    from tests.unit.apps.tiny_diffusion import build_tiny_pipeline

    weights = build_tiny_pipeline(tmp_path / "pipeline")
    app = builtin_apps(text_to_image_weights=weights)["impasto/text-to-image"]
    runner = await start_runner(app.import_path, env=app.env)
    payload = {
        "prompt": "a red cat",
        "image_size": {"width": 64, "height": 48},
        "num_inference_steps": 2,
        "seed": 7,
    }
    run = await runner.submit(RunRequest("t-1", "/", payload))
    events = [event async for event in run.events()]
    outcome = await run.outcome()
    assert outcome.status_code == 200, outcome.body
    assert outcome.body["seed"] == 7
    [image] = outcome.body["images"]
    [spooled] = outcome.files
    assert image["url"] == spooled.ref
    data = (tmp_path / "spool" / spooled.path).read_bytes()
    assert PILModule.open(BytesIO(data)).size == (64, 48) == (image["width"], image["height"])
    assert spooled.content_type == "image/png"
    assert [e.fraction for e in events if isinstance(e, ProgressEvent)] == [0.5, 1.0]
    # Progress bars are off: the request's logs hold only the app's own line.
    logs = [e.message for e in events if isinstance(e, LogEvent)]
    assert logs == ["generating 1 image(s) at 64x48, seed 7"]


async def test_text_to_image_without_weights_fails_to_start(
    start_runner: StartRunner, tmp_path: Path
) -> None:
    app = builtin_apps(text_to_image_weights=tmp_path)["impasto/text-to-image"]
    with pytest.raises(RunnerStartFailed, match="model_index"):
        await start_runner(app.import_path, env=app.env)
