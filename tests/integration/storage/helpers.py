"""Small helpers shared by the storage tests."""

from __future__ import annotations

from impasto.storage import ObjectStore


async def listed(store: ObjectStore) -> list[str]:
    """Every key the store lists, sorted."""
    found = store.keys()
    return sorted([key async for key in found])
