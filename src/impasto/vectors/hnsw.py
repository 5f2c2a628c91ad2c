"""An HNSW graph over one owner's vectors (usearch), saved as one file in the data dir.

usearch was picked over sqlite-vec for the embedded ANN leg because sqlite-vec 0.1.9 has no
ANN index: its ``vec0`` tables scan every row, ~5x slower than numpy over the same vectors
(``reference/asset-search.md`` §3), so it cannot beat the exact floor this index exists to
beat. usearch keys are integers; the graph keeps our string ids beside it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from impasto.vectors.base import Hit, Vectors


@dataclass(frozen=True)
class HnswParams:
    connectivity: int = 16  # M: links per node
    expansion_add: int = 128  # ef_construction
    expansion_search: int = 64  # ef_search: recall@10 0.96 at 100k, 0.82 at 1M (bench/README)
    threads: int = 0  # 0: all cores for bulk builds


def usearch_available() -> bool:
    from importlib.util import find_spec

    return find_spec("usearch") is not None


class HnswGraph:
    def __init__(self, dimensions: int, params: HnswParams) -> None:
        from usearch.index import Index

        self._params = params
        self._index: Any = Index(
            ndim=dimensions,
            metric="cos",
            dtype="f32",
            connectivity=params.connectivity,
            expansion_add=params.expansion_add,
            expansion_search=params.expansion_search,
        )
        self._keys: dict[str, int] = {}
        self._ids: dict[int, str] = {}
        self._next = 0

    def __len__(self) -> int:
        return len(self._keys)

    def set_expansion_search(self, ef: int) -> None:
        self._index.expansion_search = ef

    def add(self, ids: Sequence[str], vectors: Vectors) -> None:
        if len(set(ids)) != len(ids):  # the last vector given for an id wins
            last = {id_: position for position, id_ in enumerate(ids)}
            ids, vectors = list(last), vectors[list(last.values())]
        self.remove([id_ for id_ in ids if id_ in self._keys])
        keys = np.arange(self._next, self._next + len(ids), dtype=np.uint64)
        self._next += len(ids)
        for id_, key in zip(ids, keys.tolist(), strict=True):
            self._keys[id_] = key
            self._ids[key] = id_
        if ids:
            self._index.add(keys, vectors, threads=self._params.threads)

    def remove(self, ids: Sequence[str]) -> None:
        keys = [self._keys.pop(id_) for id_ in ids if id_ in self._keys]
        for key in keys:
            del self._ids[key]
        if keys:
            self._index.remove(np.asarray(keys, dtype=np.uint64))

    def search(self, query: Vectors, count: int) -> list[Hit]:
        matches = self._index.search(query, min(count, len(self._keys)), threads=1)
        return [
            Hit(self._ids[int(key)], 1.0 - float(distance))
            for key, distance in zip(matches.keys, matches.distances, strict=True)
            if int(key) in self._ids
        ]

    def save(self, path: Path, digest: str) -> None:
        """Graph to ``path``, id map beside it; ``digest`` names the contents it was built from."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        self._index.save(str(temporary))
        meta = {"digest": digest, "next": self._next, "keys": self._keys}
        path.with_name(path.name + ".json.tmp").write_text(json.dumps(meta))
        temporary.replace(path)
        path.with_name(path.name + ".json.tmp").replace(path.with_name(path.name + ".json"))

    @classmethod
    def load(cls, path: Path, dimensions: int, params: HnswParams, digest: str) -> HnswGraph | None:
        """The saved graph if it was built from the same contents, else ``None``."""
        meta_path = path.with_name(path.name + ".json")
        if not path.is_file() or not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text())
        except ValueError:
            return None
        if meta.get("digest") != digest:
            return None
        graph = cls(dimensions, params)
        graph._index.load(str(path))
        graph._keys = {str(k): int(v) for k, v in meta["keys"].items()}
        graph._ids = {v: k for k, v in graph._keys.items()}
        graph._next = int(meta["next"])
        return graph


def contents_digest(ids: Sequence[str], vectors: Vectors) -> str:
    """Names a set of (id, vector) pairs whatever their order: a saved graph is reused only
    for exactly the vectors it holds."""
    order = np.argsort(np.asarray(ids, dtype=object))
    digest = hashlib.sha256()
    for i in order.tolist():
        digest.update(ids[i].encode())
        digest.update(b"\0")
        digest.update(vectors[i].tobytes())
    return digest.hexdigest()
