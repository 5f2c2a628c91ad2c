"""fal's lineage graph of an asset: the requests that made it, their inputs, recursively,
and the characters their prompts referenced. Only the owner's own records are walked.
"""

from __future__ import annotations

import hashlib
from typing import Any

from impasto.assets.repository import AssetRepository
from impasto.assets.views import asset_url
from impasto.kit.errors import NotFound
from impasto.models import Asset


def _key(asset: Asset, base: str) -> str:
    return hashlib.md5((asset_url(asset, base) or asset.asset_id).encode()).hexdigest()  # noqa: S324


def lineage(
    repo: AssetRepository, owner: str, asset_id: str, depth: int, base: str
) -> dict[str, Any]:
    focus = repo.get(owner, asset_id)
    if focus is None:
        raise NotFound("Asset not found")
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, Any]] = []

    def asset_node(asset: Asset, request_id: str | None) -> str:
        node_id = f"asset:{asset.asset_id}"
        nodes.setdefault(
            node_id,
            {
                "kind": "asset",
                "id": node_id,
                "output_key": _key(asset, base),
                "url": asset_url(asset, base),
                "type": asset.media_type,
                "request_id": request_id or asset.request_id or "",
                "asset_id": asset.asset_id,
                "tombstone": False,
            },
        )
        return node_id

    frontier = [focus]
    asset_node(focus, None)
    walked: set[int] = set()
    for _ in range(depth):
        nxt: list[Asset] = []
        for asset in frontier:
            if asset.id in walked:
                continue
            walked.add(asset.id)
            for link, _ in repo.run_links(owner, asset_pk=asset.id, role="output"):
                request_node = f"request:{link.request_id}"
                nodes.setdefault(
                    request_node,
                    {
                        "kind": "request",
                        "id": request_node,
                        "request_id": link.request_id,
                        "endpoint": link.endpoint_id,
                        "prompt": link.prompt,
                        "created_at": link.created_at.isoformat().replace("+00:00", "Z"),
                    },
                )
                nodes[f"asset:{asset.asset_id}"]["request_id"] = link.request_id
                edges.append(
                    {
                        "from": request_node,
                        "to": f"asset:{asset.asset_id}",
                        "kind": "generated_by",
                        "role": None,
                    }
                )
                for _, source in repo.run_links(owner, request_id=link.request_id, role="input"):
                    edges.append(
                        {
                            "from": asset_node(source, None),
                            "to": request_node,
                            "kind": "input_to",
                            "role": "source",
                        }
                    )
                    nxt.append(source)
                for character in repo.mentioned_characters([asset.id]):
                    entity = f"entity:{character.collection_id}"
                    nodes.setdefault(
                        entity,
                        {
                            "kind": "entity",
                            "id": entity,
                            "entity_id": character.collection_id,
                            "entity_type": "character",
                            "name": character.name,
                            "handle": character.character_identifier,
                            "tombstone": False,
                        },
                    )
                    edges.append(
                        {
                            "from": entity,
                            "to": request_node,
                            "kind": "referenced_entity",
                            "role": "content_ref",
                        }
                    )
        frontier = nxt
    return {"focus": f"asset:{focus.asset_id}", "nodes": list(nodes.values()), "edges": edges}
