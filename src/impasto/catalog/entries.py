"""Turning a validated spec into a stored entry (and back): defaults, derived search text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from impasto.catalog.spec import EntryFields, EntrySpec, owner_of
from impasto.kit.search_text import padded
from impasto.models import CatalogEntry

# Columns an operator may set, with the value a new entry gets when the spec leaves it out.
DEFAULTS: dict[str, Any] = {
    "category": "",
    "description": "",
    "status": "active",
    "tags": [],
    "thumbnail_url": "",
    "thumbnail_animated_url": None,
    "github_url": None,
    "license_type": None,
    "kind": None,
    "training_endpoint_ids": [],
    "inference_endpoint_ids": [],
    "stream_url": None,
    "duration_estimate": None,
    "highlighted": False,
    "pinned": False,
    "privacy": "public",
    "type": None,
    "collections": [],
    "input_schema": None,
    "output_schema": None,
}


def new_entry(spec: EntrySpec, now: datetime) -> CatalogEntry:
    entry = CatalogEntry(
        endpoint_id=spec.endpoint_id,
        owner=owner_of(spec.endpoint_id),
        display_name=spec.endpoint_id,
        group_key=None,
        group_label=None,
        date=now,
        created_at=now,
        updated_at=now,
        request_count=0,
        loaded=False,
        price_unit=None,
        price_unit_price=None,
        price_currency=None,
        **DEFAULTS,
    )
    if not apply(entry, spec, now):  # apply refreshes the search text when it changes
        refresh_search_text(entry)
    return entry


def apply(entry: CatalogEntry, fields: EntryFields, now: datetime) -> bool:
    """Copy the fields that were given onto ``entry``; True if anything changed."""
    changed = False
    for name in fields.model_fields_set - {"endpoint_id"}:
        value = getattr(fields, name)
        if name == "group":
            pairs = {"group_key": value.key if value else None}
            pairs["group_label"] = value.label if value else None
        elif name in ("display_name", "date") and value is None:
            continue  # required columns: None means "leave as is"
        else:
            if value is None and name in DEFAULTS:
                value = DEFAULTS[name]
            pairs = {name: value}
        for column, new in pairs.items():
            if getattr(entry, column) != new:
                setattr(entry, column, new)
                changed = True
    if changed:
        entry.updated_at = now
        refresh_search_text(entry)
    return changed


def refresh_search_text(entry: CatalogEntry) -> None:
    entry.search_name = padded(entry.display_name)
    entry.search_id = padded(entry.endpoint_id)
    entry.search_tags = padded(*entry.tags)
    entry.search_category = padded(entry.category)
    entry.search_description = padded(entry.description)
