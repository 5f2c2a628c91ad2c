"""``impasto catalog import``: a JSON or YAML list of entries, validated as a whole, then
upserted (importing the same file again changes nothing)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from impasto.catalog.service import CatalogService
from impasto.catalog.spec import EntrySpec
from impasto.kit.errors import InvalidRequest

MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def load_specs(path: Path) -> list[EntrySpec]:
    """Parse and validate every entry; the first problems are reported, naming each entry."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidRequest(f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    text = path.read_text(encoding="utf-8")
    try:
        data: Any = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidRequest(f"{path} is not valid JSON or YAML: {exc}") from exc
    if not isinstance(data, list):
        raise InvalidRequest(f"{path} must hold a list of entries")
    specs: list[EntrySpec] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(data):
        label = _label(index, item)
        try:
            spec = EntrySpec.model_validate(item)
        except ValidationError as exc:
            details = "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or 'entry'}: {error['msg']}"
                for error in exc.errors()[:5]
            )
            problems.append(f"{label}: {details}")
            continue
        if spec.endpoint_id in seen:
            problems.append(f"{label}: duplicates entry #{seen[spec.endpoint_id] + 1}")
            continue
        seen[spec.endpoint_id] = index
        specs.append(spec)
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise InvalidRequest(f"{len(problems)} invalid entries, nothing imported:\n  {shown}{more}")
    return specs


def import_specs(service: CatalogService, specs: Iterable[EntrySpec]) -> ImportResult:
    outcomes = [service.upsert(spec)[1] for spec in specs]
    return ImportResult(
        created=outcomes.count("created"),
        updated=outcomes.count("updated"),
        unchanged=outcomes.count("unchanged"),
    )


def _label(index: int, item: Any) -> str:
    endpoint_id = item.get("endpoint_id") if isinstance(item, dict) else None
    name = f" ({endpoint_id})" if isinstance(endpoint_id, str) else ""
    return f"entry #{index + 1}{name}"
