"""fal's report windows: defaults, timezones, timeframe buckets and boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from impasto.kit.errors import InvalidRequest
from impasto.usage.window import auto_timeframe, month_window, resolve

NOW = datetime(2026, 3, 15, 12, 30, tzinfo=UTC)


def _resolve(**kwargs: object) -> object:
    values: dict[str, object] = {
        "start": None,
        "end": None,
        "timezone": "UTC",
        "timeframe": None,
        "bound_to_timeframe": True,
        "now": NOW,
    }
    values.update(kwargs)
    return resolve(**values)  # type: ignore[arg-type]


def test_defaults_are_the_last_24_hours_by_hour() -> None:
    window = resolve(
        start=None, end=None, timezone=None, timeframe=None, bound_to_timeframe=True, now=NOW
    )
    assert window.timeframe == "hour"
    assert window.start == datetime(2026, 3, 14, 12, tzinfo=UTC)
    assert window.end == datetime(2026, 3, 15, 13, tzinfo=UTC)  # the next hour, exclusive


def test_dates_are_local_midnights_and_buckets_local_days() -> None:
    window = resolve(
        start="2026-03-01",
        end="2026-03-03",
        timezone="America/New_York",
        timeframe="day",
        bound_to_timeframe=True,
        now=NOW,
    )
    assert window.start == datetime(2026, 3, 1, 5, tzinfo=UTC)
    assert window.end == datetime(2026, 3, 3, 5, tzinfo=UTC)
    bucket = window.bucket(datetime(2026, 3, 2, 3, tzinfo=UTC))  # 22:00 on the 1st, local
    assert window.label(bucket) == "2026-03-01T00:00:00-05:00"


def test_unbounded_windows_keep_the_exact_instants() -> None:
    window = resolve(
        start="2026-03-01T10:17:00Z",
        end="2026-03-01T10:47:00Z",
        timezone="UTC",
        timeframe=None,
        bound_to_timeframe=False,
        now=NOW,
    )
    assert (window.start.minute, window.end.minute, window.timeframe) == (17, 47, "minute")


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    window = resolve(
        start="2026-01-01",
        end="2026-05-01",
        timezone="UTC",
        timeframe="week",
        bound_to_timeframe=True,
        now=NOW,
    )
    assert window.start == datetime(2025, 12, 29, tzinfo=UTC)  # a Monday
    month = month_window("2026-02", NOW)
    assert (month.start, month.end) == (
        datetime(2026, 2, 1, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert month_window("2025-12", NOW).end == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("span", "frame"),
    [(1, "minute"), (24, "hour"), (24 * 10, "day"), (24 * 100, "week"), (24 * 400, "month")],
)
def test_auto_timeframe(span: int, frame: str) -> None:
    assert auto_timeframe(timedelta(hours=span)) == frame


@pytest.mark.parametrize(
    "bad",
    [
        {"timezone": "Mars/Olympus"},
        {"timezone": "../../etc/passwd"},
        {"start": "yesterday"},
        {"start": "12345"},
        {"start": "2026-03-02", "end": "2026-03-01"},
        {"end": "2026-13-01"},
    ],
)
def test_bad_windows_are_400(bad: dict[str, str]) -> None:
    with pytest.raises(InvalidRequest):
        _resolve(**bad)


@pytest.mark.parametrize("timeframe", ["minute", "hour", "day", "week", "month"])
def test_the_bisecting_bucketer_agrees_with_bucket(timeframe: str) -> None:
    # Paris changes its offset on 2026-03-29: buckets either side of it must still agree.
    window = resolve(
        start="2026-03-20",
        end="2026-04-05" if timeframe != "minute" else "2026-03-29T03:00:00+02:00",
        timezone="Europe/Paris",
        timeframe=timeframe,  # type: ignore[arg-type]
        bound_to_timeframe=True,
        now=NOW,
    )
    bucket_of = window.bucketer()
    moment = window.start
    step = (window.end - window.start) / 997
    while moment < window.end:
        assert bucket_of(moment) == window.bucket(moment), moment
        moment += step
