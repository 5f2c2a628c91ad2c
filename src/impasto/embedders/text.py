"""Prompt and caption embeddings with all-MiniLM-L6-v2 (numpy, weights from a package)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from impasto.embedders.base import Vectors, check_texts, normalise
from impasto.embedders.minilm import MiniLMTextEncoder


class MiniLMTextEmbedder:
    """Text only: ``embed_images`` answers ``None``."""

    def __init__(
        self,
        encoder: MiniLMTextEncoder | None = None,
        *,
        model_dir: Path | None = None,
        space: str = "minilm-l6-v2@1",
    ) -> None:
        self._encoder = encoder or MiniLMTextEncoder(model_dir)
        self.space = space
        self.dimensions = 384

    @property
    def encoder(self) -> MiniLMTextEncoder:
        return self._encoder

    def available(self) -> bool:
        return self.problem() is None

    def problem(self) -> str | None:
        """Why the model cannot load here, or ``None`` when it can."""
        return self._encoder.problem()

    def embed_texts(self, texts: Sequence[str]) -> Vectors:
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, 384), np.float32)
        # A missing model raises ModelNotAvailable, an EmbedderUnavailable.
        return normalise(self._encoder.encode(texts))

    def embed_images(self, images: Sequence[bytes]) -> None:
        return None
