"""The embedders this server runs, built from their names, looked up by space."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from impasto.embedders.base import Embedder
from impasto.kit.logging import get_logger

log = get_logger(__name__)


class EmbedderRegistry:
    def __init__(self, embedders: list[Embedder]) -> None:
        spaces = [embedder.space for embedder in embedders]
        if len(set(spaces)) != len(spaces):
            raise ValueError(f"two embedders share a space: {spaces}")
        self._embedders = {embedder.space: embedder for embedder in embedders}

    def __iter__(self) -> Iterator[Embedder]:
        return iter(self._embedders.values())

    def __len__(self) -> int:
        return len(self._embedders)

    def get(self, space: str) -> Embedder | None:
        return self._embedders.get(space)

    @property
    def spaces(self) -> list[str]:
        return list(self._embedders)


def build_registry(
    names: list[str], *, models_dir: Path | None, cache_dir: Path
) -> EmbedderRegistry:
    """Embedders named in ``IMPASTO_EMBEDDERS`` that can run here; others are logged, skipped.

    The models themselves load on first use, so a server starts quickly either way.
    """
    embedders: list[Embedder] = []
    minilm = None
    classifier = None
    for name in names:
        embedder: Embedder
        if name == "hash":
            from impasto.embedders.hashing import HashingEmbedder

            embedder = HashingEmbedder()
        elif name in {"minilm-text", "label-minilm"}:
            from impasto.embedders.text import MiniLMTextEmbedder

            minilm = minilm or MiniLMTextEmbedder()
            if name == "minilm-text":
                embedder = minilm
            else:
                from impasto.embedders.efficientnet import EfficientNetLite0, LabelSpaceEmbedder

                classifier = classifier or EfficientNetLite0()
                embedder = LabelSpaceEmbedder(classifier, minilm.encoder, cache_dir=cache_dir)
        elif name == "effnet-pool":
            from impasto.embedders.efficientnet import EfficientNetLite0, PooledFeatureEmbedder

            classifier = classifier or EfficientNetLite0()
            embedder = PooledFeatureEmbedder(classifier)
        elif name == "clip":
            if models_dir is None:
                continue  # the default list names clip; it only runs once a model is given
            from impasto.embedders.onnx_clip import OnnxClipEmbedder

            embedder = OnnxClipEmbedder(models_dir / "clip")
        else:
            raise ValueError(f"unknown embedder {name!r}")
        if embedder.available():
            embedders.append(embedder)
        else:
            log.warning("embedder_unavailable", embedder=name, space=embedder.space)
    return EmbedderRegistry(embedders)
