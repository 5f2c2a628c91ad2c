"""The part of Scenario's search ``filter`` expressions the asset store can answer.

Scenario's filter is a Meilisearch-like language. Supported here: clauses joined by
``AND``, each ``kind = image``, ``kind IN [image, video]``, ``tags = name`` (several such
clauses: every tag), ``tags IN [a, b]`` (any of them) or ``collectionIds = id``. Anything else
is a 400 that says what is supported, never a silently ignored condition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from impasto.assets.media import MEDIA_TYPES
from impasto.kit.errors import InvalidRequest
from impasto.kit.text import is_storable

MAX_CLAUSES = 16
MAX_VALUES = 50
SUPPORTED = (
    "filter supports clauses joined by AND: kind = <type>, kind IN [...], tags = <name>, "
    "tags IN [...], collectionIds = <id>"
)
_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)
_CLAUSE = re.compile(
    r"^\s*(?P<field>[A-Za-z]+)\s*(?:(?P<eq>=)\s*(?P<value>.+?)"
    r"|\s+IN\s*\[(?P<values>[^\]]*)\])\s*$",
    re.IGNORECASE,
)


@dataclass(slots=True)
class AssetFilter:
    kinds: set[str] | None = None  # None: any kind; empty: nothing can match
    all_tags: list[str] = field(default_factory=list)
    any_tags: list[str] = field(default_factory=list)
    collection_id: str | None = None


def _value(raw: str) -> str:
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    if not value or len(value) > 64 or not is_storable(value):
        raise InvalidRequest("filter values are 1 to 64 characters, without control characters")
    return value


def parse_filter(expression: str | None) -> AssetFilter:
    parsed = AssetFilter()
    if expression is None or not expression.strip():
        return parsed
    clauses = _AND.split(expression.strip())
    if len(clauses) > MAX_CLAUSES:
        raise InvalidRequest(f"filter accepts at most {MAX_CLAUSES} clauses")
    for clause in clauses:
        match = _CLAUSE.match(clause)
        if match is None:
            raise InvalidRequest(f"{SUPPORTED}; could not read {clause.strip()[:80]!r}")
        name = match["field"]
        if match["eq"]:
            values = [_value(match["value"])]
        else:
            values = [_value(v) for v in match["values"].split(",") if v.strip()]
            if not values or len(values) > MAX_VALUES:
                raise InvalidRequest(f"IN takes 1 to {MAX_VALUES} values")
        _apply(parsed, name, equals=bool(match["eq"]), values=values)
    if parsed.all_tags and parsed.any_tags:
        raise InvalidRequest("filter combines tags = ... and tags IN [...]; use one form")
    return parsed


def _apply(parsed: AssetFilter, name: str, *, equals: bool, values: list[str]) -> None:
    if name == "kind":
        unknown = sorted(set(values) - set(MEDIA_TYPES))
        if unknown:
            raise InvalidRequest(f"kind must be one of {', '.join(MEDIA_TYPES)}")
        parsed.kinds = set(values) if parsed.kinds is None else parsed.kinds & set(values)
    elif name == "tags" and equals:
        parsed.all_tags.append(values[0])
    elif name == "tags":
        if parsed.any_tags:
            raise InvalidRequest("filter takes at most one tags IN [...] clause")
        parsed.any_tags = values
    elif name == "collectionIds" and equals:
        if parsed.collection_id is not None and parsed.collection_id != values[0]:
            raise InvalidRequest("filter takes at most one collectionIds clause")
        parsed.collection_id = values[0]
    else:
        raise InvalidRequest(SUPPORTED)
