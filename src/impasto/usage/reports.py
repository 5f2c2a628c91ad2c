"""Ledger events -> fal's report lines: usage lines grouped by price, analytics per endpoint.

Pure functions over the events a query read; money stays integer nano-units until it is
written out, so every report of the same events adds up to the same figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

NANO = 1_000_000_000


class LedgerRow(Protocol):
    """A ledger row as reports read it: the ``usage_events`` columns, by name (plain rows,
    not ORM objects: a report reads a whole window of them)."""

    @property
    def request_id(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def key_id(self) -> str | None: ...
    @property
    def endpoint_id(self) -> str: ...
    @property
    def app_id(self) -> str: ...
    @property
    def status_code(self) -> int: ...
    @property
    def error_type(self) -> str | None: ...
    @property
    def unit(self) -> str: ...
    @property
    def quantity(self) -> float: ...
    @property
    def unit_price_nano(self) -> int: ...
    @property
    def cost_nano(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def prepare_seconds(self) -> float | None: ...
    @property
    def duration_seconds(self) -> float | None: ...
    @property
    def runner_seconds(self) -> float | None: ...
    @property
    def completed_at(self) -> datetime: ...


METRICS = (
    "request_count",
    "success_count",
    "user_error_count",
    "error_count",
    "startup_error_count",
    "connection_error_count",
    "timeout_error_count",
    "runtime_error_count",
    "p50_prepare_duration",
    "p75_prepare_duration",
    "p90_prepare_duration",
    "p95_prepare_duration",
    "p99_prepare_duration",
    "p25_duration",
    "p50_duration",
    "p75_duration",
    "p90_duration",
    "p95_duration",
    "p99_duration",
    "total_billable_duration",
)
# fal also lists cold-boot metrics; the ledger does not know which request waited for a
# runner to start, so they are accepted in ``expand`` and left out of the answer.
UNMEASURED = (
    "cold_boot_count",
    "p50_cold_boot_duration",
    "p75_cold_boot_duration",
    "p90_cold_boot_duration",
)
# The platform's error types (fal's), by fal's analytics categories.
ERROR_KINDS: Mapping[str, frozenset[str]] = {
    "startup_error_count": frozenset({"startup_timeout", "runner_start_failed", "startup_error"}),
    "connection_error_count": frozenset(
        {
            "runner_disconnected",
            "runner_connection_error",
            "runner_connection_timeout",
            "client_disconnected",
        }
    ),
    "timeout_error_count": frozenset({"request_timeout"}),
    "runtime_error_count": frozenset(
        {"runner_server_error", "internal_error", "internal_server_error", "server_error"}
    ),
}


@dataclass(frozen=True, slots=True, order=True)
class PriceKey:
    """What separates usage lines: fal lists usage at different prices as different rows."""

    endpoint_id: str
    unit: str
    unit_price_nano: int
    currency: str
    key_id: str | None  # only when the caller asked for auth methods; else always None
    owner: str | None = None  # only in an organization's report: the team


@dataclass(slots=True)
class UsageTotal:
    quantity: float = 0.0
    cost_nano: int = 0

    def add(self, event: LedgerRow) -> None:
        self.quantity += event.quantity
        self.cost_nano += event.cost_nano


def usage_lines(
    events: Iterable[LedgerRow], *, by_key: bool, by_owner: bool = False
) -> dict[PriceKey, UsageTotal]:
    # Plain tuples while counting (a dataclass per row costs more than the sums).
    sums: dict[tuple[str, str, int, str, str | None, str | None], list[float]] = {}
    for event in events:
        group = (
            event.endpoint_id,
            event.unit,
            event.unit_price_nano,
            event.currency,
            (event.key_id or "") if by_key else None,
            event.owner if by_owner else None,
        )
        found = sums.get(group)
        if found is None:
            sums[group] = [event.quantity, event.cost_nano]
        else:
            found[0] += event.quantity
            found[1] += event.cost_nano
    lines = {
        PriceKey(*group): UsageTotal(quantity=total[0], cost_nano=int(total[1]))
        for group, total in sums.items()
    }
    return dict(sorted(lines.items(), key=lambda item: _sortable(item[0])))


def money(nano: int) -> float:
    return nano / NANO


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``th percentile (0-100) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def metrics(events: Sequence[LedgerRow], wanted: Iterable[str]) -> dict[str, Any]:
    """The ``wanted`` metrics of one endpoint's events; a percentile with no measured value
    (nothing started) is left out."""
    out: dict[str, Any] = {}
    for name in wanted:
        value = _METRIC[name](events) if name in _METRIC else None
        if value is not None:
            out[name] = value
    return out


def _count(test: Callable[[LedgerRow], bool]) -> Callable[[Sequence[LedgerRow]], int]:
    return lambda events: sum(1 for event in events if test(event))


def _pct(field: str, p: float) -> Callable[[Sequence[LedgerRow]], float | None]:
    def value(events: Sequence[LedgerRow]) -> float | None:
        measured = [v for v in (getattr(e, field) for e in events) if v is not None]
        return percentile(measured, p) if measured else None

    return value


def _billable(events: Sequence[LedgerRow]) -> float:
    return sum(e.runner_seconds or 0.0 for e in events)


def _errors_of(kinds: frozenset[str]) -> Callable[[LedgerRow], bool]:
    return lambda e: e.status_code >= 400 and e.error_type in kinds


_METRIC: dict[str, Callable[[Sequence[LedgerRow]], Any]] = {
    "request_count": len,
    "success_count": _count(lambda e: 200 <= e.status_code < 300),
    "user_error_count": _count(lambda e: 400 <= e.status_code < 500),
    "error_count": _count(lambda e: e.status_code >= 500),
    **{name: _count(_errors_of(kinds)) for name, kinds in ERROR_KINDS.items()},
    **{f"p{p}_prepare_duration": _pct("prepare_seconds", p) for p in (50, 75, 90, 95, 99)},
    **{f"p{p}_duration": _pct("duration_seconds", p) for p in (25, 50, 75, 90, 95, 99)},
    "total_billable_duration": _billable,
}


def _sortable(key: PriceKey) -> tuple[str, str, str, int, str, str]:
    return (
        key.owner or "",
        key.endpoint_id,
        key.unit,
        key.unit_price_nano,
        key.currency,
        key.key_id or "",
    )
