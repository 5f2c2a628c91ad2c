"""`impasto models pull | import | list | alias | remove` in subprocesses, against the
stand-in Hub through HF_ENDPOINT: progress, JSON listings, clear errors, in-use refusal."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.processes import TIMEOUT, Processes, running
from tests.integration.weights.conftest import (  # noqa: F401  (fixtures)
    GATED,
    TINY,
    hub,
    tiny_pipeline,
)
from tests.integration.weights.standin_hub import StandinHub

pytest.importorskip("diffusers")


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    with running(tmp_path) as started:
        yield started


def models(
    processes: Processes,
    hub: StandinHub,  # noqa: F811  (a parameter, not the fixture)
    *args: str,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "impasto", "models", *args],
        capture_output=True,
        text=True,
        env={**processes.env, "HF_ENDPOINT": hub.url, "HF_HUB_DISABLE_TELEMETRY": "1", **env},
        timeout=TIMEOUT,
        check=False,
    )


def test_pull_list_alias_and_remove(processes: Processes, hub: StandinHub) -> None:  # noqa: F811
    pulled = models(processes, hub, "pull", TINY, "--as", "fal-ai/fast-sdxl")
    assert pulled.returncode == 0, pulled.stderr
    assert f"Installed {TINY} (sd15," in pulled.stdout
    assert "served as fal-ai/fast-sdxl" in pulled.stdout
    assert "files" in pulled.stderr  # the progress line

    listed = models(processes, hub, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    document = json.loads(listed.stdout)
    [model] = document["models"]
    assert (model["name"], model["family"], model["aliases"]) == (
        TINY,
        "sd15",
        ["fal-ai/fast-sdxl"],
    )
    assert model["commit_sha"] == hub.repos[TINY].commit
    assert document["total_size_bytes"] == model["size_bytes"] > 0
    table = models(processes, hub, "list")
    assert TINY in table.stdout
    assert "fal-ai/fast-sdxl" in table.stdout

    refused = models(processes, hub, "remove", TINY)
    assert refused.returncode == 1
    assert "in use by fal-ai/fast-sdxl" in refused.stderr
    assert Path(model["path"]).is_dir()

    assert models(processes, hub, "alias", "fal-ai/fast-sdxl", "--remove").returncode == 0
    removed = models(processes, hub, "remove", TINY)
    assert removed.returncode == 0, removed.stderr
    assert not Path(model["path"]).exists()
    assert json.loads(models(processes, hub, "list", "--json").stdout)["models"] == []


def test_hub_errors_are_one_line(processes: Processes, hub: StandinHub) -> None:  # noqa: F811
    missing = models(processes, hub, "pull", "acme/nope")
    assert missing.returncode == 1
    assert "error: acme/nope: no such repository on the Hub" in missing.stderr
    gated = models(processes, hub, "pull", GATED)
    assert gated.returncode == 1
    assert "is gated" in gated.stderr
    assert "HF_TOKEN" in gated.stderr
    assert "Traceback" not in missing.stderr + gated.stderr
    allowed = models(processes, hub, "pull", GATED, HF_TOKEN=hub.token)
    assert allowed.returncode == 0, allowed.stderr
    malformed = models(processes, hub, "pull", "not-a-repo")
    assert malformed.returncode == 1
    assert "give a Hub repository as org/name[@revision]" in malformed.stderr


def test_import_a_folder_and_a_single_file(
    processes: Processes,
    hub: StandinHub,  # noqa: F811
    tiny_pipeline: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    folder = models(processes, hub, "import", str(tiny_pipeline), "--name", "tiny", "--json")
    assert folder.returncode == 0, folder.stderr
    imported = json.loads(folder.stdout)
    assert (imported["source"], imported["family"], imported["path"]) == (
        "folder",
        "sd15",
        str(tiny_pipeline),
    )
    checkpoint = _sdxl_checkpoint(tmp_path / "juggernaut.safetensors")
    single = models(processes, hub, "import", str(checkpoint), "--json")
    assert single.returncode == 0, single.stderr
    described = json.loads(single.stdout)
    assert (described["name"], described["source"], described["family"]) == (
        "juggernaut",
        "file",
        "sdxl",
    )
    assert described["pipeline_class"] == "StableDiffusionXLPipeline"
    # Imported files are the operator's: removing the model leaves them.
    assert models(processes, hub, "remove", "juggernaut").returncode == 0
    assert checkpoint.is_file()
    pickled = tmp_path / "old.ckpt"
    pickled.write_bytes(b"\x80\x04")
    refused = models(processes, hub, "import", str(pickled))
    assert refused.returncode == 1
    assert "only .safetensors single-file checkpoints" in refused.stderr


def _sdxl_checkpoint(path: Path) -> Path:
    """A file with the tensor names of an SDXL single-file checkpoint (tiny tensors)."""
    import numpy as np
    from safetensors.numpy import save_file

    names = [
        "conditioner.embedders.0.transformer.text_model.embeddings.position_ids",
        "conditioner.embedders.1.model.ln_final.weight",
        "model.diffusion_model.input_blocks.0.0.weight",
        "first_stage_model.decoder.conv_in.weight",
    ]
    save_file({name: np.zeros((2, 2), dtype=np.float32) for name in names}, str(path))
    return path
