"""Pulling from the stand-in Hub: only the files the pipeline needs, resumed after an
interruption, verified, and recorded only once complete."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from impasto.kit.clock import SystemClock
from impasto.weights.errors import DownloadFailed, RepoGated, RepoNotFound
from impasto.weights.manager import WeightsLayout, WeightsManager
from tests.integration.weights.conftest import EXTRAS, GATED, TINY
from tests.integration.weights.standin_hub import StandinHub

UNET = "unet/diffusion_pytorch_model.safetensors"


def _installed(manager: WeightsManager) -> list[str]:
    return [view.model.name for view in manager.list()]


def test_pull_fetches_what_the_pipeline_needs(
    manager: WeightsManager, hub: StandinHub, tiny_pipeline: Path
) -> None:
    model = manager.pull(TINY)
    assert (model.name, model.source, model.family) == (TINY, "hub", "sd15")
    assert model.pipeline_class == "StableDiffusionPipeline"
    assert model.commit_sha == hub.repos[TINY].commit
    snapshot = Path(model.path)
    expected = {p.relative_to(tiny_pipeline).as_posix() for p in tiny_pipeline.rglob("*.*")}
    got = {p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file()}
    assert got == expected
    assert not hub.downloaded(TINY) & set(EXTRAS)
    assert (snapshot / UNET).read_bytes() == (tiny_pipeline / UNET).read_bytes()
    assert model.size_bytes == sum((tiny_pipeline / name).stat().st_size for name in expected)
    progress = manager.board.get(TINY)
    assert progress is not None
    assert progress.state == "done"
    # model_index.json came first, on its own, to choose the files.
    index_size = (tiny_pipeline / "model_index.json").stat().st_size
    assert progress.bytes_done == progress.bytes_total == model.size_bytes - index_size
    assert progress.files_done == progress.files_total == len(expected)
    assert _installed(manager) == [TINY]


def test_a_revision_pin_and_the_fp16_variant(manager: WeightsManager, hub: StandinHub) -> None:
    commit = hub.repos[TINY].commit
    with pytest.raises(RepoNotFound, match="no such revision"):
        manager.pull(f"{TINY}@v9")
    assert _installed(manager) == []
    # The repo has an fp16 unet only: asking for fp16 everywhere says which part lacks it.
    with pytest.raises(Exception, match=r"text_encoder/ has no safetensors or \.bin weights of"):
        manager.pull(f"{TINY}@{commit}", variant="fp16")
    model = manager.pull(f"{TINY}@{commit}")
    assert (model.revision, model.commit_sha) == (commit, commit)


def test_a_broken_transfer_resumes_where_it_stopped(
    manager: WeightsManager,
    hub: StandinHub,
    tiny_pipeline: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from huggingface_hub import constants

    # huggingface_hub writes whole chunks (10 MiB); smaller ones so the tiny file has several.
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 16 * 1024)
    size = (tiny_pipeline / UNET).stat().st_size
    hub.cut[(TINY, UNET)] = size // 2
    model = manager.pull(TINY)
    first, resumed = hub.range_starts(TINY, UNET)
    assert first == 0
    assert size // 2 - 16 * 1024 < resumed <= size // 2  # resumed, not restarted
    assert (Path(model.path) / UNET).read_bytes() == (tiny_pipeline / UNET).read_bytes()


def test_a_pull_cut_off_by_an_outage_keeps_what_arrived(
    manager: WeightsManager, hub: StandinHub, layout: WeightsLayout, tiny_pipeline: Path
) -> None:
    """The Hub goes away mid-file: the pull fails and records nothing; the files that
    arrived whole stay in the cache, and the next pull fetches only the rest."""
    size = (tiny_pipeline / UNET).stat().st_size
    hub.cut[(TINY, UNET)] = size // 2
    with pytest.raises(DownloadFailed, match="run the same pull again"):
        _pull_with_outage(manager, hub)
    assert _installed(manager) == []  # nothing half-installed
    progress = manager.board.get(TINY)
    assert progress is not None
    assert progress.state == "failed"
    assert not list(layout.hub_cache.rglob("*.incomplete"))
    before = len(hub.requests)
    hub.down = False
    model = manager.pull(TINY)
    fetched_again = {
        target.rsplit("/resolve/", 1)[1].split("/", 1)[1]
        for method, target, _ in hub.requests[before:]
        if method == "GET" and "/resolve/" in target
    }
    assert UNET in fetched_again
    assert len(fetched_again) < 10  # not the whole repository again
    assert (Path(model.path) / UNET).read_bytes() == (tiny_pipeline / UNET).read_bytes()


def _pull_with_outage(manager: WeightsManager, hub: StandinHub) -> None:
    """Pull while the Hub goes down right after the cut transfer."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if not hub.cut:
                hub.down = True
                return
            stop.wait(0.001)

    thread = threading.Thread(target=watch)
    thread.start()
    try:
        manager.pull(TINY)
    finally:
        stop.set()
        thread.join()


def test_a_tampered_file_is_refused_and_removed(
    manager: WeightsManager, hub: StandinHub, layout: WeightsLayout, tiny_pipeline: Path
) -> None:
    hub.tampered.add((TINY, UNET))
    with pytest.raises(DownloadFailed, match=f"{UNET} did not match the checksum"):
        manager.pull(TINY)
    assert _installed(manager) == []
    snapshot = layout.hub_cache / "models--acme--tiny-sd" / "snapshots" / hub.repos[TINY].commit
    assert not (snapshot / UNET).exists()
    hub.tampered.clear()
    model = manager.pull(TINY)  # fetched again, whole
    assert (Path(model.path) / UNET).read_bytes() == (tiny_pipeline / UNET).read_bytes()


def test_missing_and_gated_repositories(
    database: object, layout: WeightsLayout, hub: StandinHub, manager: WeightsManager
) -> None:
    with pytest.raises(RepoNotFound, match="acme/nope: no such repository"):
        manager.pull("acme/nope")
    with pytest.raises(RepoGated, match=r"gated: accept its licence .* HF_TOKEN"):
        manager.pull(GATED)
    assert _installed(manager) == []
    assert not list((layout.hub_cache / "models--acme--gated-sd").rglob("*.safetensors"))
    from impasto.kit.db import Database

    assert isinstance(database, Database)
    with_token = WeightsManager(
        database,
        SystemClock(),
        layout,
        operator="admin",
        hub_endpoint=hub.url,
        hub_token=hub.token,
    )
    assert with_token.pull(GATED).family == "sd15"


def test_remove_deletes_the_downloaded_files(
    manager: WeightsManager, layout: WeightsLayout
) -> None:
    model = manager.pull(TINY)
    assert Path(model.path).is_dir()
    manager.remove(TINY)
    assert _installed(manager) == []
    assert not (layout.hub_cache / "models--acme--tiny-sd").exists()
