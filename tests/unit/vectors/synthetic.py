from __future__ import annotations

import numpy as np

from impasto.embedders.base import normalise


def clustered(n: int, dimensions: int, *, clusters: int = 20, seed: int = 7) -> np.ndarray:
    """Unit vectors around random centres: neighbours exist, as with real embeddings."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dimensions)).astype(np.float32)
    labels = rng.integers(0, clusters, n)
    noise = rng.standard_normal((n, dimensions)).astype(np.float32) * 0.6
    return normalise(centres[labels] + noise)
