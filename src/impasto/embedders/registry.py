"""The embedders this server runs, built from their names, looked up by space."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from impasto.embedders.base import Embedder, EmbedderUnavailable, unavailable_reason
from impasto.kit.logging import get_logger

if TYPE_CHECKING:
    from impasto.embedders.efficientnet import EfficientNetLite0
    from impasto.embedders.text import MiniLMTextEmbedder

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
    """Embedders named in ``IMPASTO_EMBEDDERS`` that can run here; each of the others is
    skipped with one warning that names it and says why.

    Whether one can run is checked without loading its model (its packages and weights are
    there); the models themselves load on first use, so a server starts quickly either way.
    A model that still fails later costs its search leg only (``assets/search/legs.py``).
    """
    embedders: list[Embedder] = []
    for check in check_embedders(names, models_dir=models_dir, cache_dir=cache_dir):
        if check.embedder is not None and check.reason is None:
            embedders.append(check.embedder)
        else:
            log.warning(
                "embedder_unavailable", embedder=check.name, space=check.space, reason=check.reason
            )
    return EmbedderRegistry(embedders)


@dataclass(frozen=True, slots=True)
class EmbedderCheck:
    name: str
    embedder: Embedder | None  # None: it could not even be built
    reason: str | None  # why it cannot run here; None: it can

    @property
    def space(self) -> str | None:
        return self.embedder.space if self.embedder is not None else None


def check_embedders(
    names: list[str], *, models_dir: Path | None, cache_dir: Path
) -> list[EmbedderCheck]:
    """Each configured embedder and whether it can run here, no model loaded (``clip`` is
    left out until ``IMPASTO_MODELS_DIR`` is set: the default list names it)."""
    checks: list[EmbedderCheck] = []
    models = _Models()
    for name in names:
        if name == "clip" and models_dir is None:
            continue
        try:
            embedder = _build(name, models_dir=models_dir, cache_dir=cache_dir, models=models)
            checks.append(EmbedderCheck(name, embedder, unavailable_reason(embedder)))
        except EmbedderUnavailable as exc:  # e.g. a CLIP config that is not JSON
            checks.append(EmbedderCheck(name, None, str(exc)))
    return checks


class _Models:
    """The models two embedders share (MiniLM; EfficientNet-Lite0), built once."""

    def __init__(self) -> None:
        self._minilm: MiniLMTextEmbedder | None = None
        self._classifier: EfficientNetLite0 | None = None

    def minilm(self) -> MiniLMTextEmbedder:
        from impasto.embedders.text import MiniLMTextEmbedder

        self._minilm = self._minilm or MiniLMTextEmbedder()
        return self._minilm

    def classifier(self) -> EfficientNetLite0:
        from impasto.embedders.efficientnet import EfficientNetLite0

        self._classifier = self._classifier or EfficientNetLite0()
        return self._classifier


def _build(name: str, *, models_dir: Path | None, cache_dir: Path, models: _Models) -> Embedder:
    if name == "hash":
        from impasto.embedders.hashing import HashingEmbedder

        return HashingEmbedder()
    if name == "minilm-text":
        return models.minilm()
    if name == "label-minilm":
        from impasto.embedders.efficientnet import LabelSpaceEmbedder

        encoder = models.minilm().encoder
        return LabelSpaceEmbedder(models.classifier(), encoder, cache_dir=cache_dir)
    if name == "effnet-pool":
        from impasto.embedders.efficientnet import PooledFeatureEmbedder

        return PooledFeatureEmbedder(models.classifier())
    if name == "clip" and models_dir is not None:
        from impasto.embedders.onnx_clip import OnnxClipEmbedder

        return OnnxClipEmbedder(models_dir / "clip")
    raise ValueError(f"unknown embedder {name!r}")
