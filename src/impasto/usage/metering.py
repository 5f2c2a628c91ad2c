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
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

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

# Built once: the hot path compiles neither statement again (a cached statement each).
_PRICE = select(
    CatalogEntry.price_unit, CatalogEntry.price_unit_price, CatalogEntry.price_currency
).where(CatalogEntry.endpoint_id == bindparam("endpoint_id"))
_INSERT = insert(UsageEvent)


def meter(session: Session, done: Completed) -> None:
    """The completion hook: one price read and one insert."""
    price = session.execute(_PRICE, {"endpoint_id": done.endpoint_id}).first()
    unit, unit_price, currency = price if price is not None else (None, None, None)
    unit = unit or DEFAULT_UNIT
    runner = _runner_seconds(done)
    quantity = billable_quantity(unit, done, runner)
    unit_price_nano = _nano(unit_price)
    session.execute(
        _INSERT,
        {
            "request_id": done.request_id,
            "owner": done.owner,
            "key_id": done.key_id,
            "endpoint_id": done.endpoint_id,
            "app_id": done.app_id,
            "status_code": done.result_status,
            "error_type": done.error_type,
            "unit": unit,
            "quantity": quantity,
            "unit_price_nano": unit_price_nano,
            "cost_nano": round(quantity * unit_price_nano),
            "currency": (currency or DEFAULT_CURRENCY).upper(),
            "prepare_seconds": _seconds(done.created_at, done.started_at),
            "duration_seconds": _seconds(done.started_at, done.completed_at),
            "runner_seconds": runner,
            "created_at": done.created_at or done.completed_at,
            "completed_at": done.completed_at,
        },
    )


def billable_quantity(unit: str, done: Completed, runner_seconds: float | None) -> float:
    if done.result_status >= 400:
        return 0.0
    reported = reported_units(done.headers)
    if reported is not None:
        return reported
    kind = unit.lower()
    if kind in IMAGE_UNITS:
        return float(count_images(done.output))
    if kind in SECOND_UNITS:
        media = media_seconds(done.output)
        return media if media > 0 else (runner_seconds or 0.0)
    return 1.0


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


def _nano(price: float | None) -> int:
    if price is None or not math.isfinite(price) or price < 0:
        return 0
    return round(price * NANO)
