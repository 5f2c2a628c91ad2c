"""What a log query asks for, checked: levels, conditions and the time range."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from impasto.kit.errors import InvalidRequest
from impasto.kit.text import is_storable
from impasto.logs.schemas import LogCondition

# Lines' levels, lowest first; stdout and stderr lines rank as info and error.
LEVELS: dict[str, int] = {
    "TRACE": 0,
    "DEBUG": 10,
    "INFO": 20,
    "STDOUT": 20,
    "WARN": 30,
    "WARNING": 30,
    "ERROR": 40,
    "STDERR": 40,
    "CRITICAL": 50,
    "FATAL": 50,
}
# Fields of a line a condition may name; any other key is one of its labels.
FIELDS = frozenset({"level", "source", "request_id", "endpoint_id", "app", "app_id"})
MAX_CONDITIONS = 20
MAX_VALUES = 50


@dataclass(frozen=True, slots=True)
class Condition:
    key: str
    values: tuple[str, ...]
    negated: bool


@dataclass(frozen=True, slots=True)
class LogQuery:
    owner: str
    start: datetime
    end: datetime
    app_ids: Sequence[str] | None = None
    request_id: str | None = None
    levels: frozenset[str] | None = None  # at or above the minimum asked for
    search: str | None = None
    conditions: tuple[Condition, ...] = field(default=())
    revision: str | None = None  # lines of apps whose live revision this is
    matches_nothing: bool = False  # a filter on something these lines never have


def levels_from(minimum: str | None) -> frozenset[str] | None:
    if minimum is None or not minimum.strip():
        return None
    rank = LEVELS.get(minimum.strip().upper())
    if rank is None:
        known = ", ".join(name.lower() for name in LEVELS)
        raise InvalidRequest(f"level: unknown level {minimum[:32]!r} (one of {known})")
    return frozenset(name for name, value in LEVELS.items() if value >= rank)


def conditions_from(body: Sequence[LogCondition] | None) -> tuple[Condition, ...]:
    if not body:
        return ()
    if len(body) > MAX_CONDITIONS:
        raise InvalidRequest(f"at most {MAX_CONDITIONS} conditions")
    out = []
    for item in body:
        values = (item.value,) if isinstance(item.value, str) else tuple(item.value)
        if len(values) > MAX_VALUES:
            raise InvalidRequest(f"a condition takes at most {MAX_VALUES} values")
        if not all(is_storable(v) for v in (item.key, *values)):
            raise InvalidRequest("conditions must be text without control characters")
        kind = item.condition_type or ("in" if isinstance(item.value, list) else "equals")
        if kind in ("equals", "not_equals") and len(values) != 1:
            raise InvalidRequest(f"{kind} compares with one value, not a list")
        out.append(Condition(item.key, values, negated=kind.startswith("not_")))
    return tuple(out)
