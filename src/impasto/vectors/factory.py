"""Which index a space gets: pgvector on PostgreSQL when the server has it, else the tiered
numpy + usearch index in the data dir."""

from __future__ import annotations

from pathlib import Path

from impasto.kit.db import Database
from impasto.kit.logging import get_logger
from impasto.vectors.base import VectorIndex
from impasto.vectors.hnsw import HnswParams
from impasto.vectors.pgvector import PgVectorIndex, pgvector_available
from impasto.vectors.tiered import TieredIndex

log = get_logger(__name__)


def open_vector_index(
    database: Database,
    space: str,
    dimensions: int,
    *,
    data_dir: Path,
    exact_limit: int,
    ef_search: int,
) -> VectorIndex:
    params = HnswParams(expansion_search=ef_search)
    if database.dialect == "postgresql":
        if pgvector_available(database):
            return PgVectorIndex(
                database, space, dimensions, exact_limit=exact_limit, params=params
            )
        log.warning("pgvector_unavailable", space=space, fallback="in-process index")
    return TieredIndex(
        space,
        dimensions,
        exact_limit=exact_limit,
        data_dir=data_dir / "vectors",
        params=params,
    )
