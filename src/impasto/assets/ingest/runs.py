"""Run inputs and outputs become assets: ``request`` and ``response``, linked for lineage.

The queue calls ``record_run`` in the transaction that completes a
request. Files are recognised by fal's toolkit shape (``{"url", "content_type",
"file_name", "file_size", "width", "height"}``) or as bare URLs; only files this server
stores, and that the run's owner may read, are recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from impasto.assets.ingest.uploads import AssetIngest, NewAsset
from impasto.assets.media import media_type_for
from impasto.assets.search.keyword import search_text
from impasto.files.acl import may_read
from impasto.files.urls import parse_file_url
from impasto.kit.ids import IdGenerator
from impasto.models import Asset, AssetRunLink, StoredFile

MAX_FILES = 200
MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class FileRef:
    url: str
    content_type: str | None = None
    file_name: str | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None


def file_refs(payload: Any, depth: int = 0) -> Iterator[FileRef]:
    """File objects and file URLs anywhere in a JSON value, in document order."""
    if depth > MAX_DEPTH:
        return
    if isinstance(payload, dict):
        url = payload.get("url")
        if isinstance(url, str) and parse_file_url(url) is not None:
            yield FileRef(
                url=url,
                content_type=_str(payload.get("content_type")),
                file_name=_str(payload.get("file_name")),
                width=_int(payload.get("width")),
                height=_int(payload.get("height")),
                duration=_float(payload.get("duration")),
            )
            return
        for value in payload.values():
            yield from file_refs(value, depth + 1)
    elif isinstance(payload, list):
        for value in payload:
            yield from file_refs(value, depth + 1)
    elif isinstance(payload, str) and parse_file_url(payload) is not None:
        yield FileRef(url=payload)


def prompt_of(payload: Any) -> str | None:
    """The first string input named like a prompt (``prompt``, ``text_prompt``...)."""
    if not isinstance(payload, dict):
        return None
    for key, value in payload.items():
        if isinstance(value, str) and "prompt" in key.lower() and "negative" not in key.lower():
            return value
    return None


def record_run(
    session: Session,
    ids: IdGenerator,
    *,
    owner: str,
    request_id: str,
    endpoint_id: str,
    input_payload: Any,
    output_payload: Any,
    created_at: datetime,
) -> list[Asset]:
    """Create or link the assets of one finished run; returns the ``response`` assets."""
    ingest = AssetIngest(session, ids)
    prompt = prompt_of(input_payload)
    seen: set[str] = set()
    outputs: list[Asset] = []
    for role, payload in (("input", input_payload), ("output", output_payload)):
        for ref in list(file_refs(payload))[:MAX_FILES]:
            parsed = parse_file_url(ref.url)
            if parsed is None or f"{role}:{parsed.file_id}" in seen:
                continue
            seen.add(f"{role}:{parsed.file_id}")
            row = session.get(StoredFile, parsed.file_id)
            if (
                row is None
                or row.file_name != parsed.name
                or not may_read(row.acl, file_owner=row.owner, caller=owner)
            ):
                continue
            media = media_type_for(ref.content_type or row.content_type, row.file_name)
            if media is None:
                continue
            asset = ingest.repo.by_file(owner, row.file_id)
            if asset is not None and role == "output" and asset.request_id is None:
                # The run stored its output through the files API, which made it an
                # ``upload`` asset a moment ago: it is this run's response.
                _adopt(ingest, asset, request_id, endpoint_id, prompt, ref, created_at)
            elif asset is None or role == "output":
                asset = ingest.create(
                    NewAsset(
                        owner=owner,
                        source="request" if role == "input" else "response",
                        media_type=media,
                        file_name=row.file_name,
                        created_at=created_at,
                        file_id=row.file_id,
                        content_type=row.content_type,
                        size=row.size,
                        width=ref.width,
                        height=ref.height,
                        duration=ref.duration,
                        prompt=prompt if role == "output" else None,
                        request_id=request_id,
                        endpoint_id=endpoint_id,
                    )
                )
            ingest.repo.link_run(
                AssetRunLink(
                    asset_pk=asset.id,
                    request_id=request_id,
                    role=role,
                    endpoint_id=endpoint_id,
                    prompt=prompt,
                    created_at=created_at,
                )
            )
            if role == "output":
                outputs.append(asset)
    return outputs


def _adopt(
    ingest: AssetIngest,
    asset: Asset,
    request_id: str,
    endpoint_id: str,
    prompt: str | None,
    ref: FileRef,
    now: datetime,
) -> None:
    asset.source = "response"
    asset.request_id = request_id
    asset.endpoint_id = endpoint_id
    asset.prompt = prompt
    asset.width = asset.width or ref.width
    asset.height = asset.height or ref.height
    asset.updated_at = now
    asset.search_text = search_text(asset.title, prompt, asset.file_name)
    ingest.session.flush()
    ingest.link_mentions(asset, prompt, now)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if type(value) is int and 0 < value < 1 << 31 else None


def _float(value: Any) -> float | None:
    return float(value) if type(value) in (int, float) and 0 <= value < 1e9 else None
