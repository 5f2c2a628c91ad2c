"""What a finished request bills, fixed once, in the transaction that completes it.

The quantity is what the app reported (``x-fal-billable-units`` on its result, set with
``impasto.sdk.set_billable_units``), else what the endpoint's catalog price unit implies:
output images for an ``image`` price, seconds of output media (or of runner time) for a
``second`` price, one per call otherwise. Failed requests bill nothing. The unit price is
the catalog's at completion, copied into the event: a later price change never reaches it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Insert,
    Integer,
    String,
    Table,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from impasto.kit.db.types import UTCDateTime
from impasto.models import CatalogEntry, UsageEvent
from impasto.runs.queue.completion import Completed
from impasto.sdk.context import UNITS_HEADER

DEFAULT_UNIT = "request"
DEFAULT_CURRENCY = "USD"
NANO = 1_000_000_000
IMAGE_UNITS = frozenset({"image", "images"})
SECOND_UNITS = frozenset({"second", "seconds", "gpu_second", "gpu_seconds"})
MAX_QUANTITY = 1e12  # a reported figure past this is a bug in the app, not usage
_MEDIA_KEYS = ("video", "videos", "audio", "audios", "audio_file")


def table_of(model: type[CatalogEntry] | type[UsageEvent]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


@dataclass(frozen=True, slots=True)
class Candidates:
    """The quantities a request may bill, one per kind of price unit; which one applies
    is decided by the endpoint's unit (``billable_quantity``, and the same rule in SQL)."""

    fixed: float | None  # failed (0) or reported by the app: whatever the unit
    images: float
    seconds: float


def candidates(done: Completed, runner_seconds: float | None) -> Candidates:
    fixed = 0.0 if done.result_status >= 400 else reported_units(done.headers)
    media = media_seconds(done.output)
    return Candidates(
        fixed=fixed,
        images=float(count_images(done.output)),
        seconds=media if media > 0 else (runner_seconds or 0.0),
    )


def billable_quantity(unit: str, done: Completed, runner_seconds: float | None) -> float:
    """What ``done`` bills for a price in ``unit`` (the rule ``_STATEMENT`` applies in SQL)."""
    found = candidates(done, runner_seconds)
    if found.fixed is not None:
        return found.fixed
    kind = unit.lower()
    if kind in IMAGE_UNITS:
        return found.images
    if kind in SECOND_UNITS:
        return found.seconds
    return 1.0


class _HalfUp(FunctionElement[int]):
    """An amount >= 0 rounded half up to an integer, the same on both databases:
    PostgreSQL's cast of a float rounds half to even and SQLite's truncates, and SQLite
    builds without math functions have no ``floor``."""

    type = BigInteger()
    name = "half_up"
    inherit_cache = True


@compiles(_HalfUp)
def _half_up_sql(element: _HalfUp, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(FLOOR({compiler.process(element.clauses, **kw)} + 0.5) AS BIGINT)"


@compiles(_HalfUp, "sqlite")
def _half_up_sqlite(element: _HalfUp, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} + 0.5 AS INTEGER)"


def _half_up(value: ColumnElement[Any]) -> ColumnElement[int]:
    return _HalfUp(value)


def _number(name: str) -> ColumnElement[float]:
    """A float parameter, cast: PostgreSQL cannot type a bare parameter in a CASE."""
    return cast(bindparam(name, type_=Float), Float)


def _statement() -> Insert:
    """The hook's one statement: the ledger row, priced from the catalog in the same
    INSERT ... SELECT (a LEFT JOIN: an unpriced endpoint bills one free ``request``)."""
    catalog = table_of(CatalogEntry)
    wanted = select(bindparam("endpoint_id", type_=String).label("eid")).subquery("wanted")
    priced = wanted.outerjoin(catalog, catalog.c.endpoint_id == wanted.c.eid)
    unit = func.lower(catalog.c.price_unit)
    fixed = _number("fixed")
    quantity = case(
        (fixed.is_not(None), fixed),
        (unit.in_(sorted(IMAGE_UNITS)), _number("images")),
        (unit.in_(sorted(SECOND_UNITS)), _number("seconds")),
        else_=literal(1.0, Float),
    )
    price = catalog.c.price_unit_price
    unit_price_nano = case(
        (price.is_(None) | (price < 0), literal(0, BigInteger)),
        else_=_half_up(price * NANO),
    )
    columns: dict[str, ColumnElement[Any]] = {
        "request_id": bindparam("request_id", type_=String),
        "owner": bindparam("owner", type_=String),
        "key_id": bindparam("key_id", type_=String),
        "endpoint_id": wanted.c.eid,
        "app_id": bindparam("app_id", type_=String),
        "status_code": bindparam("status_code", type_=Integer),
        "error_type": bindparam("error_type", type_=String),
        "unit": func.coalesce(catalog.c.price_unit, DEFAULT_UNIT),
        "quantity": quantity,
        "unit_price_nano": unit_price_nano,
        "cost_nano": _half_up(quantity * unit_price_nano),
        "currency": func.upper(func.coalesce(catalog.c.price_currency, DEFAULT_CURRENCY)),
        "prepare_seconds": _number("prepare_seconds"),
        "duration_seconds": _number("duration_seconds"),
        "runner_seconds": _number("runner_seconds"),
        "created_at": bindparam("created_at", type_=UTCDateTime()),
        "completed_at": bindparam("completed_at", type_=UTCDateTime()),
    }
    source = select(*(value.label(name) for name, value in columns.items())).select_from(priced)
    return insert(table_of(UsageEvent)).from_select(list(columns), source)


# Built once: the hot path compiles it once per dialect, then reuses the cached SQL.
_STATEMENT = _statement()


def meter(session: Session, done: Completed) -> None:
    """The completion hook: one INSERT ... SELECT on the session's connection."""
    runner = _runner_seconds(done)
    found = candidates(done, runner)
    session.connection().execute(
        _STATEMENT,
        {
            "request_id": done.request_id,
            "owner": done.owner,
            "key_id": done.key_id,
            "endpoint_id": done.endpoint_id,
            "app_id": done.app_id,
            "status_code": done.result_status,
            "error_type": done.error_type,
            "fixed": found.fixed,
            "images": found.images,
            "seconds": found.seconds,
            "prepare_seconds": _seconds(done.created_at, done.started_at),
            "duration_seconds": _seconds(done.started_at, done.completed_at),
            "runner_seconds": runner,
            "created_at": done.created_at or done.completed_at,
            "completed_at": done.completed_at,
        },
    )


def reported_units(headers: Mapping[str, str] | None) -> float | None:
    """The app's own figure, if it gave a usable one (a finite number >= 0)."""
    for name, value in (headers or {}).items():
        if name.lower() != UNITS_HEADER:
            continue
        try:
            units = float(value)
        except ValueError:
            return None
        return units if math.isfinite(units) and 0 <= units <= MAX_QUANTITY else None
    return None


def count_images(output: Any) -> int:
    """fal's image outputs: an ``images`` list, or one ``image``."""
    if not isinstance(output, dict):
        return 0
    images = output.get("images")
    if isinstance(images, list):
        return sum(1 for image in images if isinstance(image, dict | str))
    return 1 if isinstance(output.get("image"), dict | str) else 0


def media_seconds(output: Any) -> float:
    """Seconds of the output's video and audio files, where they say (``duration``)."""
    if not isinstance(output, dict):
        return 0.0
    total = 0.0
    for key in _MEDIA_KEYS:
        value = output.get(key)
        for item in value if isinstance(value, list) else [value]:
            duration = item.get("duration") if isinstance(item, dict) else None
            if isinstance(duration, int | float) and math.isfinite(duration) and duration > 0:
                total += float(duration)
    return total


def _runner_seconds(done: Completed) -> float | None:
    if done.inference_time is not None and math.isfinite(done.inference_time):
        return max(done.inference_time, 0.0)
    return _seconds(done.started_at, done.completed_at)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max((end - start).total_seconds(), 0.0)
