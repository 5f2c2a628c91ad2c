"""FOCUS (FinOps Open Cost and Usage Specification, 1.0) reports of the metering ledger.

One row per charge period (a bucket of the report's window), billing account, endpoint and
price: ``ConsumedQuantity`` units at ``ListUnitPrice`` each. Costs are written as exact
decimals of the ledger's integer nano-units, so a spreadsheet's sum of ``BilledCost`` is
the ledger's sum. Self-hosted, there are no discounts, commitments, credits or taxes:
billed, effective, list and contracted costs are the same figure.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from impasto.usage.reports import NANO, LedgerRow, UsageTotal
from impasto.usage.window import Window, next_boundary

COLUMNS = (
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
)
SERVICE_CATEGORY = "AI and Machine Learning"
MEDIA_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Account:
    """Who a row is billed to: the billing account, and under an organization the team
    (sub-account) that used it."""

    billing_id: str
    sub_id: str | None = None


@dataclass(frozen=True, slots=True, order=True)
class _Row:
    period: datetime
    billing: str
    sub: str
    endpoint_id: str
    unit: str
    unit_price_nano: int
    currency: str


def decimal_text(nano: int) -> str:
    """Exact decimal of a nano-unit amount: 1_500_000_000 -> '1.500000000'."""
    sign = "-" if nano < 0 else ""
    whole, frac = divmod(abs(nano), NANO)
    return f"{sign}{whole}.{frac:09d}"


def focus_csv(
    events: Iterable[LedgerRow],
    window: Window,
    accounts: Mapping[str, Account],
    *,
    provider: str,
) -> str:
    """``accounts``: each event owner's billing account (an owner missing from it bills
    to itself)."""
    # Plain tuples while summing (a dataclass per row costs more than the sums).
    sums: dict[tuple[datetime, str, str, str, str, int, str], list[float]] = {}
    bucket_of = window.bucketer()
    for event in events:
        account = accounts.get(event.owner) or Account(event.owner)
        group = (
            bucket_of(event.completed_at),
            account.billing_id,
            account.sub_id or "",
            event.endpoint_id,
            event.unit,
            event.unit_price_nano,
            event.currency,
        )
        found = sums.get(group)
        if found is None:
            sums[group] = [event.quantity, event.cost_nano]
        else:
            found[0] += event.quantity
            found[1] += event.cost_nano
    totals = {
        _Row(*group): UsageTotal(quantity=total[0], cost_nano=int(total[1]))
        for group, total in sums.items()
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in sorted(totals):
        writer.writerow(_cells(row, totals[row], window, provider))
    return out.getvalue()


def _cells(row: _Row, total: UsageTotal, window: Window, provider: str) -> Sequence[str]:
    start = row.period.astimezone(UTC)
    end = min(next_boundary(row.period, window.timeframe).astimezone(UTC), window.end)
    start = max(start, window.start)
    cost = decimal_text(total.cost_nano)
    price = decimal_text(row.unit_price_nano)
    quantity = _number(total.quantity)
    values = {
        "BilledCost": cost,
        "BillingAccountId": row.billing,
        "BillingAccountName": row.billing,
        "BillingCurrency": row.currency,
        "BillingPeriodStart": _instant(window.start),
        "BillingPeriodEnd": _instant(window.end),
        "ChargeCategory": "Usage",
        "ChargeClass": "",
        "ChargeDescription": f"{quantity} {row.unit} of {row.endpoint_id}",
        "ChargeFrequency": "Usage-Based",
        "ChargePeriodStart": _instant(start),
        "ChargePeriodEnd": _instant(end),
        "ConsumedQuantity": quantity,
        "ConsumedUnit": row.unit,
        "ContractedCost": cost,
        "ContractedUnitPrice": price,
        "EffectiveCost": cost,
        "InvoiceIssuerName": provider,
        "ListCost": cost,
        "ListUnitPrice": price,
        "PricingCategory": "Standard",
        "PricingQuantity": quantity,
        "PricingUnit": row.unit,
        "ProviderName": provider,
        "PublisherName": row.endpoint_id.split("/", 1)[0],
        "RegionId": "",
        "RegionName": "",
        "ResourceId": row.endpoint_id,
        "ResourceName": row.endpoint_id,
        "ResourceType": "Model endpoint",
        "ServiceCategory": SERVICE_CATEGORY,
        "ServiceName": "Model APIs",
        "SkuId": f"{row.endpoint_id}:{row.unit}",
        "SkuPriceId": f"{row.endpoint_id}:{row.unit}:{price}:{row.currency}",
        "SubAccountId": row.sub,
        "SubAccountName": row.sub,
        "Tags": "{}",
    }
    return [values[column] for column in COLUMNS]


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)
