"""A stand-in Hub serving a tiny diffusers pipeline the tests build, and a manager on the
test's database (both kinds) that pulls from it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from impasto.kit.clock import SystemClock
from impasto.kit.db import Database
from impasto.weights.manager import WeightsLayout, WeightsManager
from tests.integration.weights.standin_hub import HubRepo, StandinHub, serve_hub

pytest.importorskip("diffusers")
pytest.importorskip("huggingface_hub")

TINY = "acme/tiny-sd"
GATED = "acme/gated-sd"
# Files a repository carries that a pipeline does not need: another format, another
# precision, a root-level checkpoint.
EXTRAS = {
    "unet/diffusion_pytorch_model.bin": b"pickled duplicate" * 64,
    "unet/diffusion_pytorch_model.fp16.safetensors": b"half precision" * 64,
    "v1-5-pruned.ckpt": b"single-file original" * 64,
    "README.md": b"# tiny\n",
}


@pytest.fixture(scope="session")
def tiny_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.unit.apps.tiny_diffusion import build_tiny_pipeline

    return build_tiny_pipeline(tmp_path_factory.mktemp("tiny") / "pipeline")


@pytest.fixture
def hub(tiny_pipeline: Path) -> Iterator[StandinHub]:
    repo = HubRepo.from_folder(tiny_pipeline)
    repo.files.update(EXTRAS)
    repo.__post_init__()
    gated = HubRepo.from_folder(tiny_pipeline, gated=True)
    yield from serve_hub(StandinHub(repos={TINY: repo, GATED: gated}))


@pytest.fixture
def layout(tmp_path: Path) -> WeightsLayout:
    return WeightsLayout(tmp_path / "weights")


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url, pool_size=2)
    yield database
    database.dispose()


@pytest.fixture
def manager(database: Database, layout: WeightsLayout, hub: StandinHub) -> WeightsManager:
    return WeightsManager(database, SystemClock(), layout, operator="admin", hub_endpoint=hub.url)


def copy_pipeline(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target
