"""The time window of a report: fal's ``start``, ``end``, ``timezone``, ``timeframe`` and
``bound_to_timeframe``, and the buckets rows fall into.

Buckets are calendar periods in the caller's timezone (a day is a local day, a week starts
on Monday), named by their local start with its offset; the window's bounds are instants.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from impasto.kit.errors import InvalidRequest

Timeframe = Literal["minute", "hour", "day", "week", "month"]
TIMEFRAMES: tuple[Timeframe, ...] = ("minute", "hour", "day", "week", "month")
DEFAULT_SPAN = timedelta(hours=24)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_TEXT = 64


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    zone: ZoneInfo
    timeframe: Timeframe

    def bucket(self, moment: datetime) -> datetime:
        """The local start of the bucket ``moment`` falls in."""
        return floor(moment.astimezone(self.zone), self.timeframe)

    def bucketer(self) -> Callable[[datetime], datetime]:
        """``bucket`` for many moments inside the window: the window's bucket starts are
        computed once, and each moment is found among them by bisection."""
        starts = [floor(self.start.astimezone(self.zone), self.timeframe)]
        while True:
            following = next_boundary(starts[-1], self.timeframe)
            if following.astimezone(UTC) >= self.end:
                break
            starts.append(following)
        instants = [start.astimezone(UTC) for start in starts]

        def bucket(moment: datetime) -> datetime:
            index = bisect_right(instants, moment) - 1
            if index < 0 or moment >= self.end:
                return self.bucket(moment)  # outside the window: computed the slow way
            return starts[index]

        return bucket

    def label(self, bucket: datetime) -> str:
        return bucket.isoformat()


def zone(name: str | None) -> ZoneInfo:
    text = (name or "UTC").strip()
    if not text or len(text) > _MAX_TEXT or text.startswith(("/", ".")) or ".." in text:
        raise InvalidRequest(f"timezone: unknown time zone {text[:_MAX_TEXT]!r}")
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidRequest(f"timezone: unknown time zone {text!r}") from None


def moment(value: str, name: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 date-time (``Z`` or an offset; none: the caller's timezone) or a date
    (its local midnight), as UTC."""
    text = value.strip().upper()  # RFC 3339 allows "t" and "z"
    if len(text) > _MAX_TEXT:
        raise InvalidRequest(f"{name}: not an ISO 8601 date-time or date")
    try:
        if _DATE.fullmatch(text):
            local = datetime.combine(date.fromisoformat(text), time(), tzinfo=tz)
        else:
            if "T" not in text.upper() and " " not in text:
                raise ValueError(text)
            local = datetime.fromisoformat(text)
            if local.tzinfo is None:
                local = local.replace(tzinfo=tz)
        return local.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidRequest(
            f"{name}: not an ISO 8601 date-time or date (e.g. 2025-01-01T00:00:00Z, 2025-01-01)"
        ) from None


def auto_timeframe(span: timedelta) -> Timeframe:
    """fal's choice when none is given: minute (<2h), hour (<2d), day (<64d), week (<183d),
    month."""
    if span < timedelta(hours=2):
        return "minute"
    if span < timedelta(days=2):
        return "hour"
    if span < timedelta(days=64):
        return "day"
    if span < timedelta(days=183):
        return "week"
    return "month"


def floor(local: datetime, timeframe: Timeframe) -> datetime:
    """The start of the period ``local`` (an aware local time) falls in, in its zone."""
    tz = local.tzinfo
    naive = local.replace(tzinfo=None)
    if timeframe == "minute":
        naive = naive.replace(second=0, microsecond=0)
    elif timeframe == "hour":
        naive = naive.replace(minute=0, second=0, microsecond=0)
    else:
        naive = naive.replace(hour=0, minute=0, second=0, microsecond=0)
        if timeframe == "week":
            naive -= timedelta(days=naive.weekday())
        elif timeframe == "month":
            naive = naive.replace(day=1)
    # Re-attach the zone: the offset is the one in force at the period's start.
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz) if tz else naive


def next_boundary(local_start: datetime, timeframe: Timeframe) -> datetime:
    """The start of the period after the one starting at ``local_start``."""
    tz = local_start.tzinfo
    naive = local_start.replace(tzinfo=None)
    if timeframe == "minute":
        naive += timedelta(minutes=1)
    elif timeframe == "hour":
        naive += timedelta(hours=1)
    elif timeframe == "day":
        naive += timedelta(days=1)
    elif timeframe == "week":
        naive += timedelta(days=7)
    else:
        naive = naive.replace(year=naive.year + naive.month // 12, month=naive.month % 12 + 1)
    return naive.replace(tzinfo=tz)


def resolve(
    *,
    start: str | None,
    end: str | None,
    timezone: str | None,
    timeframe: Timeframe | None,
    bound_to_timeframe: bool,
    now: datetime,
    max_span: timedelta | None = None,
) -> Window:
    tz = zone(timezone)
    until = moment(end, "end", tz) if end is not None else now
    since = moment(start, "start", tz) if start is not None else until - DEFAULT_SPAN
    if since >= until:
        raise InvalidRequest("start must be before end")
    frame = timeframe or auto_timeframe(until - since)
    if bound_to_timeframe:
        since = floor(since.astimezone(tz), frame).astimezone(UTC)
        last = floor(until.astimezone(tz), frame)
        if last.astimezone(UTC) < until:
            last = next_boundary(last, frame)
        until = last.astimezone(UTC)
    if max_span is not None and until - since > max_span:
        raise InvalidRequest(f"the date range may span at most {max_span.days} days")
    return Window(start=since, end=until, zone=tz, timeframe=frame)


def month_window(month: str | None, now: datetime) -> Window:
    """A calendar month in UTC (``YYYY-MM``; None: the current one), bucketed by day."""
    if month is None:
        first = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    else:
        try:
            first = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
        except ValueError:
            raise InvalidRequest(f"not a month (YYYY-MM): {month[:16]!r}") from None
    utc = ZoneInfo("UTC")
    start = first.astimezone(utc)
    return Window(
        start=first, end=next_boundary(start, "month").astimezone(UTC), zone=utc, timeframe="day"
    )
