"""Embedders: turn text (and later images) into vectors for search and the embedding apps.

Vectors from different embedders live in different spaces and are never compared.
"""

from impasto.embedders.minilm import MiniLMTextEncoder

__all__ = ["MiniLMTextEncoder"]
