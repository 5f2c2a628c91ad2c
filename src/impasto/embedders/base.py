"""The embedder protocol: text and images into one named vector space.

A *space* names a model and its version (``label-minilm@1``). Vectors of different
spaces are never compared, so a space changes its name whenever its vectors would change.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]


class EmbedderUnavailable(RuntimeError):
    """The embedder's model or runtime (torch, onnxruntime, weights) is missing."""


class InvalidMedia(ValueError):
    """Bytes that do not decode as the image or video they claim to be."""


@runtime_checkable
class Embedder(Protocol):
    """Rows of every result are float32 with norm 1, one row per input, in input order.

    A method answers ``None`` when the embedder cannot embed that kind of input (a text-only
    model asked for images); it raises ``EmbedderUnavailable`` when it could, but its model
    cannot be loaded here.
    """

    @property
    def space(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    def available(self) -> bool:
        """Whether the model can be loaded here, without loading it."""
        ...

    def embed_texts(self, texts: Sequence[str]) -> Vectors | None: ...

    def embed_images(self, images: Sequence[bytes]) -> Vectors | None: ...


def unavailable_reason(embedder: Embedder) -> str | None:
    """Why ``embedder`` cannot run here, or ``None`` when it can, without loading a model.

    Ours say why (``problem()``); an embedder that does not is asked ``available()``."""
    problem = getattr(embedder, "problem", None)
    if callable(problem):
        reason = problem()
        return None if reason is None else str(reason)
    return None if embedder.available() else "its model or runtime is not installed"


def normalise(vectors: NDArray[np.floating] | NDArray[np.integer]) -> Vectors:
    """Rows scaled to norm 1 (zero rows stay zero), as contiguous float32."""
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.ascontiguousarray(matrix / np.maximum(norms, np.float32(1e-12)), dtype=np.float32)


def decode_rgb(image: bytes, size: tuple[int, int]) -> NDArray[np.uint8]:
    """An encoded image as an RGB array resized to ``size`` (width, height)."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # An image over Pillow's pixel limit is refused, not just warned about.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(image)) as picture:
                rgb = picture.convert("RGB").resize(size, Image.Resampling.BICUBIC)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombWarning) as exc:
        raise InvalidMedia(f"not a readable image: {exc}") from exc
    except Image.DecompressionBombError as exc:
        raise InvalidMedia(str(exc)) from exc
    return np.asarray(rgb, dtype=np.uint8)


def check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("pass a sequence of strings, not one string")
    return list(texts)


def check_images(images: Sequence[bytes]) -> list[bytes]:
    if isinstance(images, bytes | bytearray):
        raise TypeError("pass a sequence of encoded images, not one image")
    return [bytes(image) for image in images]
