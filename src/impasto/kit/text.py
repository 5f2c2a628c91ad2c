"""Text and JSON values that are safe to store and to send: no lone surrogates, no control
characters where names are stored, no NaN or Infinity, no runaway nesting.

PostgreSQL cannot store U+0000, and a lone surrogate cannot be encoded to UTF-8 at all;
either would otherwise reach the driver (or a runner) and fail as a server error. A JSON
value has more ways to fail later than where it arrived: ``NaN`` and ``Infinity`` (and
``1e999``, which Python reads as infinity) are not JSON, so PostgreSQL refuses them and
SQLite stores text no JSON parser reads back; and Python's ``json`` (like pydantic's
serialiser) gives up around 1000 (pydantic: 255) levels of nesting, whatever the caller's
stack, so a value nested that deep decodes in one process and fails to encode in the next.
``json_flaw`` finds the first of these problems in one iterative pass, so that the check
itself never recurses, however deep the value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# The C encoder ``json.dumps`` uses for strings: the quoted, escaped text.
_encode_string: Any = getattr(json.encoder, "c_encode_basestring", None) or (
    json.encoder.py_encode_basestring
)

Location = tuple[str | int, ...]
_JSON_RECURSION = 1000  # about where Python's json gives up


def is_storable(value: str) -> bool:
    return _UNSTORABLE.search(value) is None


def escaped(value: str | int) -> str | int:
    """``value`` fit for an error message: lone surrogates written as ``\\udXXX`` escapes."""
    if isinstance(value, int):
        return value
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


class FlawKind(StrEnum):
    TOO_DEEP = "too_deep"
    TOO_LARGE = "too_large"
    NOT_FINITE = "not_finite"
    LONE_SURROGATE = "lone_surrogate"
    NOT_JSON = "not_json"


ALL_FLAWS = frozenset(FlawKind)


@dataclass(frozen=True, slots=True)
class Flaw:
    """The first thing that keeps a value from being stored or sent as JSON, and where."""

    kind: FlawKind
    where: Location


def json_flaw(
    value: Any,
    *,
    max_depth: int | None = None,
    max_bytes: int | None = None,
    kinds: frozenset[FlawKind] = ALL_FLAWS,
) -> Flaw | None:
    """The first flaw of a decoded JSON value in document order, or ``None``.

    ``max_depth``: how many arrays and objects may nest (``{}`` is 1 deep); the flaw is at
    the first one deeper. ``max_bytes``: the most bytes the value may take as compact UTF-8
    JSON (what ``json.dumps(value, separators=(",", ":"), ensure_ascii=False)`` writes);
    that flaw is at the root. Only ``dict`` with ``str`` keys, ``list``, ``str``, ``int``,
    ``float``, ``bool`` and ``None`` are JSON here (a tuple, bytes from msgpack... are not).
    ``kinds``: the flaws to look for; the others are passed over.
    """
    where: list[str | int] = []
    levels: list[Iterator[tuple[str | int, Any]]] = []
    size = 0
    item = value
    while True:
        if isinstance(item, dict | list):
            if max_depth is not None and len(levels) >= max_depth:
                return Flaw(FlawKind.TOO_DEEP, tuple(where))
            size += 1 + max(len(item), 1)  # brackets and the commas between members
            levels.append(iter(item.items()) if isinstance(item, dict) else enumerate(item))
            where.append(0)  # replaced by the first member's key or index below
        else:
            kind, item_size = _scalar(item)
            if kind is not None and kind in kinds:
                return Flaw(kind, tuple(where))
            size += item_size
        if max_bytes is not None and size > max_bytes:
            return Flaw(FlawKind.TOO_LARGE, ())
        # On to the next value in document order: the next member of the innermost
        # container that has one left.
        while levels:
            step = next(levels[-1], None)
            if step is None:
                levels.pop()
                where.pop()
                continue
            key, item = step
            where[-1] = key
            if not isinstance(levels[-1], enumerate):
                kind, key_size = _scalar(key) if isinstance(key, str) else (FlawKind.NOT_JSON, 0)
                if kind is not None and kind in kinds:
                    return Flaw(kind, tuple(where))
                size += key_size + 1  # and the colon
            break
        else:
            return None


def _scalar(item: Any) -> tuple[FlawKind | None, int]:
    """What is wrong with a value that is not an array or object, or its JSON size."""
    if isinstance(item, str):
        if _SURROGATE.search(item):
            return FlawKind.LONE_SURROGATE, 0
        quoted = _encode_string(item)
        return None, len(quoted) if item.isascii() else len(quoted.encode())
    if isinstance(item, bool) or item is None:
        return None, 5 if item is False else 4
    if isinstance(item, int):
        return None, len(int.__repr__(item))
    if isinstance(item, float) and math.isfinite(item):
        return None, len(float.__repr__(item))
    return (FlawKind.NOT_FINITE if isinstance(item, float) else FlawKind.NOT_JSON), 0


def unstorable_json(value: Any) -> Flaw | None:
    """``json_flaw`` for a value about to be stored, for values that are usually fine and
    may be large (results): the C encoder checks them, and the walker only runs to say
    where a value it refused is wrong. Depth is not checked, past what ``json`` refuses."""
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError, RecursionError):
        # Bounded, so that a cycle (which ``json`` refuses too) ends the walk.
        return json_flaw(value, max_depth=_JSON_RECURSION) or Flaw(FlawKind.TOO_DEEP, ())
    return None


def storable_text(value: str) -> str:
    """``value`` as a text column can hold it: lone surrogates escaped, NUL (which
    PostgreSQL cannot store) written as ``\\x00``."""
    if not _SURROGATE.search(value) and "\x00" not in value:
        return value
    return str(escaped(value)).replace("\x00", "\\x00")


def describe_flaw(flaw: Flaw) -> str:
    where = ".".join(str(escaped(part)) for part in flaw.where) or "the top level"
    what = {
        FlawKind.TOO_DEEP: "nesting too deep",
        FlawKind.TOO_LARGE: "too many bytes",
        FlawKind.NOT_FINITE: "a number that is not finite (NaN or Infinity)",
        FlawKind.LONE_SURROGATE: "a lone surrogate",
        FlawKind.NOT_JSON: "a value that is not JSON",
    }[flaw.kind]
    return f"{what} at {where}"


def lone_surrogate_at(value: Any) -> Location | None:
    """Where in a decoded JSON value the first string (key or value) with a lone surrogate
    sits, or ``None``. JSON may spell one (``"\\ud800"``); nothing can encode it."""
    flaw = json_flaw(value, kinds=frozenset({FlawKind.LONE_SURROGATE}))
    return None if flaw is None else flaw.where
