from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from impasto.embedders.base import Embedder
from impasto.embedders.hashing import HashingEmbedder


def _png(colour: str, caption: str | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    if caption:
        info.add_text("Description", caption)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def test_is_an_embedder_with_unit_rows() -> None:
    embedder = HashingEmbedder(dimensions=32)
    assert isinstance(embedder, Embedder)
    vectors = embedder.embed_texts(["a red fox", "", "¿qué?"])
    assert vectors.shape == (3, 32)
    assert vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(1.0)


def test_stable_across_instances_and_runs() -> None:
    first = HashingEmbedder().embed_texts(["red fox"])
    assert np.array_equal(first, HashingEmbedder().embed_texts(["red fox"]))
    # Pinned: a change here silently invalidates every stored "hash@1" vector.
    assert first[0, :3].round(4).tolist() == pytest.approx([0.013, -0.1447, 0.161])


def test_shared_words_make_texts_similar() -> None:
    v = HashingEmbedder().embed_texts(["a red fox", "red fox jumping", "blue whale"])
    assert v[0] @ v[1] > 0.5
    assert v[0] @ v[1] > v[0] @ v[2] + 0.3


def test_images_by_caption_or_by_bytes() -> None:
    embedder = HashingEmbedder()
    images = embedder.embed_images(
        [_png("red", "red fox"), _png("red"), _png("red"), _png("blue"), b"not an image"]
    )
    fox = embedder.embed_texts(["red fox"])[0]
    assert images[0] @ fox == pytest.approx(1.0)
    assert images[1] @ images[2] == pytest.approx(1.0)
    assert abs(images[1] @ images[3]) < 0.5
    assert embedder.embed_images([]).shape == (0, 64)


def test_one_string_is_refused() -> None:
    with pytest.raises(TypeError):
        HashingEmbedder().embed_texts("red fox")
    with pytest.raises(TypeError):
        HashingEmbedder().embed_images(b"bytes")
