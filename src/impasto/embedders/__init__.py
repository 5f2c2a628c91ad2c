"""Embedders: turn text (and later images) into vectors for search and the embedding apps.

Vectors from different embedders live in different spaces and are never compared.
"""

from impasto.embedders.base import Embedder, EmbedderUnavailable, InvalidMedia
from impasto.embedders.minilm import MiniLMTextEncoder
from impasto.embedders.registry import EmbedderRegistry, build_registry
from impasto.embedders.video import embed_video, sample_video_frames

__all__ = [
    "Embedder",
    "EmbedderRegistry",
    "EmbedderUnavailable",
    "InvalidMedia",
    "MiniLMTextEncoder",
    "build_registry",
    "embed_video",
    "sample_video_frames",
]
