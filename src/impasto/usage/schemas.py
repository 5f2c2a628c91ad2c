"""fal's usage, analytics, billing-event and account-billing bodies, field for field
(Platform API: Models > Usage, Analytics, Billing events; Account > Billing)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class AuthMethod(BaseModel):
    """Structured authentication method identity."""

    detail: str = Field(description="The key's alias, or 'None' for a platform-made request")
    api_key_id: str | None = Field(default=None, description="API key ID")
    login_username: str | None = Field(default=None, description="Team member login username")


class UsageLine(BaseModel):
    """Usage line item with billing details."""

    endpoint_id: str = Field(description="Endpoint identifier that was used")
    unit: str = Field(description="The billing unit (e.g. 'image', 'second', 'request')")
    quantity: float = Field(ge=0, description="Quantity of usage in the billing unit")
    unit_price: float = Field(ge=0, description="Per-unit price before percentage discounts")
    percent_discount: float | None = Field(
        ge=0, le=100, description="Percentage discount applied; null when none applies"
    )
    cost_subtotal: float = Field(ge=0, description="Cost before discounts")
    cost_discount: float = Field(ge=0, description="Discount applied to this line item")
    cost_total: float = Field(ge=0, description="Amount charged after discounts")
    cost: float = Field(ge=0, description="Deprecated: use cost_total", deprecated=True)
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 currency code")
    auth_method: str | None = Field(default=None, description="Authentication method label")
    auth_method_structured: AuthMethod | None = None


class UsageBucket(BaseModel):
    """Time bucket with grouped usage records."""

    bucket: str = Field(description="Bucket start in the requested timezone, with its offset")
    results: list[UsageLine]


class UsageResponse(BaseModel):
    next_cursor: str | None = Field(description="Cursor for the next page, null if none")
    has_more: bool = Field(description="Whether more results are available")
    time_series: list[UsageBucket] | None = None
    summary: list[UsageLine] | None = None


class TeamUsageLine(BaseModel):
    """A usage line of an organization's report, attributed to a team and a product."""

    username: str = Field(description="The team (account) that used it")
    product: Literal["model_apis", "serverless", "compute"] = Field(
        description="Product line; every request here is a model API call"
    )
    endpoint_id: str
    unit: str
    quantity: float = Field(ge=0)
    unit_price: float = Field(ge=0)
    cost: float = Field(ge=0)
    currency: str
    auth_method: str | None = None
    auth_method_structured: AuthMethod | None = None


class TeamBucket(BaseModel):
    bucket: str
    results: list[TeamUsageLine]


class OrganizationUsage(BaseModel):
    next_cursor: str | None
    has_more: bool
    time_series: list[TeamBucket] | None = None
    summary: list[TeamUsageLine] | None = None


class AppUsageLine(BaseModel):
    """Machine-seconds an app's runners spent, per app and machine type."""

    app: str | None = Field(description="The app's name, owner prefix stripped")
    environment: str | None = Field(description="Deployment environment; none here")
    machine_type: str = Field(description="Where it ran; one kind of machine here")
    unit: str = Field(description="Always 'second'")
    quantity: float = Field(ge=0)
    unit_price: float = Field(ge=0)
    percent_discount: float | None = Field(ge=0, le=100)
    cost_subtotal: float = Field(ge=0)
    cost_discount: float = Field(ge=0)
    cost_total: float = Field(ge=0)
    cost: float = Field(ge=0, deprecated=True)
    currency: str
    is_surge: bool


class AppUsageBucket(BaseModel):
    bucket: str
    results: list[AppUsageLine]


class ServerlessUsage(BaseModel):
    next_cursor: str | None
    has_more: bool
    time_series: list[AppUsageBucket] | None = None
    summary: list[AppUsageLine] | None = None


class Metrics(BaseModel):
    """Analytics of one endpoint, with only the metrics asked for."""

    endpoint_id: str
    request_count: int | None = Field(default=None, ge=0)
    success_count: int | None = Field(default=None, ge=0)
    user_error_count: int | None = Field(default=None, ge=0)
    error_count: int | None = Field(default=None, ge=0)
    p50_prepare_duration: float | None = Field(default=None, ge=0)
    p75_prepare_duration: float | None = Field(default=None, ge=0)
    p90_prepare_duration: float | None = Field(default=None, ge=0)
    p95_prepare_duration: float | None = Field(default=None, ge=0)
    p99_prepare_duration: float | None = Field(default=None, ge=0)
    p25_duration: float | None = Field(default=None, ge=0)
    p50_duration: float | None = Field(default=None, ge=0)
    p75_duration: float | None = Field(default=None, ge=0)
    p90_duration: float | None = Field(default=None, ge=0)
    p95_duration: float | None = Field(default=None, ge=0)
    p99_duration: float | None = Field(default=None, ge=0)
    startup_error_count: int | None = Field(default=None, ge=0)
    connection_error_count: int | None = Field(default=None, ge=0)
    timeout_error_count: int | None = Field(default=None, ge=0)
    runtime_error_count: int | None = Field(default=None, ge=0)
    total_billable_duration: float | None = Field(default=None, ge=0)


class MetricsBucket(BaseModel):
    bucket: str = Field(description="Bucket start in the requested timezone, with its offset")
    results: list[Metrics]


class AnalyticsResponse(BaseModel):
    next_cursor: str | None = Field(description="Cursor for the next page, null if none")
    has_more: bool = Field(description="Whether more results are available")
    time_series: list[MetricsBucket] | None = None
    summary: list[Metrics] | None = None


class BillingEvent(BaseModel):
    request_id: str
    endpoint_id: str
    timestamp: str = Field(description="When the request completed (ISO 8601, UTC)")
    output_units: float | None = Field(ge=0, description="Units billed")
    unit_price: float | None = Field(ge=0, description="Price per unit")
    percent_discount: float | None = None
    cost_subtotal: float = Field(ge=0)
    cost_discount: float = Field(ge=0)
    cost_total: float = Field(ge=0)
    cost_estimate_nano_usd: float = Field(ge=0, description="cost_total in nano-units")
    auth_method: str | None = None
    auth_method_structured: AuthMethod | None = None


class TeamBillingEvent(BillingEvent):
    username: str = Field(description="The team (account) billed")


class TeamBillingEvents(BaseModel):
    next_cursor: str | None
    has_more: bool
    billing_events: list[TeamBillingEvent]


class BillingEvents(BaseModel):
    next_cursor: str | None = Field(description="Cursor for the next page, null if none")
    has_more: bool = Field(description="Whether more results are available")
    billing_events: list[BillingEvent]


class Credits(BaseModel):
    current_balance: float = Field(ge=0)
    currency: str


class AccountBilling(BaseModel):
    username: str
    credits: Credits | None = None
