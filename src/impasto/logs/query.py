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
MAX_CONDITIONS = 100
MAX_VALUES = 1000


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
    """The levels at or above ``minimum``; a level no line has matches no line."""
    if minimum is None or not minimum.strip():
        return None
    rank = LEVELS.get(minimum.strip().upper())
    if rank is None:
        return frozenset()
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
        # Text no line can hold (control characters, lone surrogates) equals nothing; a
        # list given to equals is compared as to in, as fal's schema allows both.
        stored = tuple(v for v in values if is_storable(v))
        key = item.key if is_storable(item.key) else "\ufffd"
        kind = item.condition_type or "equals"
        out.append(Condition(key, stored, negated=kind.startswith("not_")))
    return tuple(out)
