from __future__ import annotations

from pathlib import Path

import pytest

from impasto.config import Settings
from impasto.embedders.efficientnet import torch_available
from impasto.embedders.hashing import HashingEmbedder
from impasto.embedders.registry import EmbedderRegistry, build_registry


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
