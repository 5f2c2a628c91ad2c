"""The model-backed apps in real runner processes: weights load once in setup(),
outputs come back as spooled files or plain JSON."""

import json
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


def _diffusion_env(weights: Path) -> dict[str, str]:
    """The environment the weights manager deploys the diffusion app with (one alias)."""
    from impasto.apps.diffusion.routes import ROUTES_ENV, Route

    route = Route(
        task="text-to-image",
        model="tiny",
        path=str(weights),
        source="folder",
        family="sd15",
        pipeline_class="StableDiffusionPipeline",
    )
    return {ROUTES_ENV: json.dumps({"/dev": route.to_json()})}


@pytest.mark.timeout(300)  # torch and diffusers import twice (here and in the runner)
async def test_the_diffusion_app_in_a_runner(start_runner: StartRunner, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    from impasto.apps.diffusion.routes import DIFFUSION_APP
    from tests.unit.apps.tiny_diffusion import build_tiny_pipeline

    weights = build_tiny_pipeline(tmp_path / "pipeline")
    runner = await start_runner(DIFFUSION_APP, env=_diffusion_env(weights))
    payload = {
        "prompt": "a red cat",
        "image_size": {"width": 64, "height": 48},
        "num_inference_steps": 2,
        "seed": 7,
        "output_format": "png",
    }
    run = await runner.submit(RunRequest("t-1", "/dev", payload))
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
    # Loading bars are off: the request's logs hold only the app's own lines.
    logs = [e.message for e in events if isinstance(e, LogEvent)]
    assert logs == [
        "text-to-image with tiny, 2 steps, seed 7",
        "step 1 of 2",
        "step 2 of 2",
    ]


async def test_the_diffusion_app_without_weights_fails_to_start(
    start_runner: StartRunner, tmp_path: Path
) -> None:
    pytest.importorskip("diffusers")
    from impasto.apps.diffusion.routes import DIFFUSION_APP

    with pytest.raises(RunnerStartFailed, match="are not at"):
        await start_runner(DIFFUSION_APP, env=_diffusion_env(tmp_path / "gone"))
