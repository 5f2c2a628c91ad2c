"""What the Scenario assets endpoints receive beyond the asset library's own."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from impasto.assets.deps import AssetEmbedders, BlobReaderDep, SearchLegs
from impasto.deps import CursorsDep, OwnBases, ReadSession
from impasto.scenario.assets.search import ScenarioAssetSearch


async def _asset_search(
    session: ReadSession,
    legs: SearchLegs,
    embedders: AssetEmbedders,
    bases: OwnBases,
    read_blob: BlobReaderDep,
    cursors: CursorsDep,
) -> ScenarioAssetSearch:
    return ScenarioAssetSearch(
        session, legs, embedders, bases=bases, read_blob=read_blob, cursors=cursors
    )


AssetSearch = Annotated[ScenarioAssetSearch, Depends(_asset_search)]
