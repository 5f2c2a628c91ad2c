"""A deterministic embedder for tests: no model, the same vectors on every machine and run.

Text is a bag of words: each word owns a pseudo-random direction drawn from SHAKE-256 of
the word, and a text is the normalised sum of its words' directions, so texts sharing words
are similar. An image is embedded as the text of its PNG ``Description`` (or JPEG comment)
when it has one, which lets a test make an image findable by words; otherwise as a
direction drawn from its bytes, so equal images, and only those, match.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence

import numpy as np

from impasto.embedders.base import Vectors, check_images, check_texts, normalise

_WORD = re.compile(r"[^\W_]+")


class HashingEmbedder:
    def __init__(self, *, space: str = "hash@1", dimensions: int = 64) -> None:
        if dimensions < 2:
            raise ValueError("dimensions must be at least 2")
        self.space = space
        self.dimensions = dimensions

    def available(self) -> bool:
        return True

    def embed_texts(self, texts: Sequence[str]) -> Vectors:
        return normalise(np.stack([self._text(t) for t in check_texts(texts)]))

    def embed_images(self, images: Sequence[bytes]) -> Vectors:
        rows = []
        for image in check_images(images):
            caption = _caption(image)
            rows.append(self._text(caption) if caption else self._direction(b"img:" + image))
        return normalise(np.stack(rows)) if rows else np.zeros((0, self.dimensions), np.float32)

    def _text(self, text: str) -> Vectors:
        total = np.zeros(self.dimensions, dtype=np.float32)
        for word in _WORD.findall(text.casefold()):
            total += self._direction(b"word:" + word.encode())
        return total if total.any() else self._direction(b"empty")

    def _direction(self, seed: bytes) -> Vectors:
        raw = hashlib.shake_256(seed).digest(2 * self.dimensions)
        values = np.frombuffer(raw, dtype="<u2").astype(np.float32)
        return (values - np.float32(32767.5)) / np.float32(32767.5)


def _caption(image: bytes) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(image)) as picture:
            info = picture.info
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    caption = info.get("Description") or info.get("comment")
    if isinstance(caption, bytes):
        caption = caption.decode("utf-8", "replace")
    return caption if isinstance(caption, str) and caption.strip() else None
