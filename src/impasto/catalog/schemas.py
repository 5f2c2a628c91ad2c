"""Wire shapes of fal's model operations (``/v1/models``, pricing, estimate) and ours."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from impasto.catalog.cards import ModelCard
from impasto.catalog.spec import EndpointId, PriceSpec
from impasto.keys.schemas import iso_z
from impasto.models import CatalogEntry

Omitted = SkipJsonSchema[None]


class Group(BaseModel):
    key: str
    label: str


class ModelMetadata(BaseModel):
    display_name: str
    category: str
    description: str
    status: Literal["active", "deprecated"]
    tags: list[str]
    updated_at: str
    is_favorited: bool | None = Field(description="null when the caller is anonymous")
    thumbnail_url: str
    thumbnail_animated_url: str | Omitted = None
    model_url: str
    github_url: str | Omitted = None
    license_type: Literal["commercial", "research", "private"] | Omitted = None
    date: str
    group: Group | Omitted = None
    highlighted: bool
    kind: Literal["inference", "training"] | Omitted = None
    training_endpoint_ids: list[str] | Omitted = None
    inference_endpoint_ids: list[str] | Omitted = None
    stream_url: str | Omitted = None
    duration_estimate: float | Omitted = None
    pinned: bool


class ExpansionError(BaseModel):
    code: str
    message: str


class ExpansionFailed(BaseModel):
    error: ExpansionError


class ModelItem(BaseModel):
    endpoint_id: str
    metadata: ModelMetadata | Omitted = None
    openapi: dict[str, Any] | Omitted = Field(
        default=None, description="OpenAPI 3.0 document, with expand=openapi-3.0"
    )
    enterprise_status: Literal["ready", "pending"] | Omitted = None


class ModelList(BaseModel):
    models: list[ModelItem]
    next_cursor: str | None
    has_more: bool


def metadata(entry: CatalogEntry, is_favorited: bool | None, base_url: str) -> ModelMetadata:
    root = base_url.rstrip("/")
    optional: dict[str, Any] = {
        "thumbnail_animated_url": entry.thumbnail_animated_url,
        "github_url": entry.github_url,
        "license_type": entry.license_type,
        "kind": entry.kind,
        "stream_url": entry.stream_url,
        "duration_estimate": entry.duration_estimate,
        "training_endpoint_ids": entry.training_endpoint_ids or None,
        "inference_endpoint_ids": entry.inference_endpoint_ids or None,
    }
    if entry.group_key and entry.group_label:
        optional["group"] = Group(key=entry.group_key, label=entry.group_label)
    return ModelMetadata(
        display_name=entry.display_name,
        category=entry.category,
        description=entry.description,
        status=entry.status,
        tags=list(entry.tags),
        updated_at=iso_z(entry.updated_at),
        is_favorited=is_favorited,
        thumbnail_url=entry.thumbnail_url,
        model_url=f"{root}/run/{entry.endpoint_id}",
        date=iso_z(entry.date),
        highlighted=entry.highlighted,
        pinned=entry.pinned,
        **{key: value for key, value in optional.items() if value is not None},
    )


def card_item(
    card: ModelCard, root: str, expand: set[str], openapi: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A :class:`ModelItem` as plain data, built without validating models first (which cost
    more than the search itself on a page); ``tests/integration/catalog`` checks every item
    against ``ModelItem`` and :func:`metadata`."""
    meta: dict[str, Any] = {
        "display_name": card.display_name,
        "category": card.category,
        "description": card.description,
        "status": card.status,
        "tags": card.tags,
        "updated_at": iso_z(card.updated_at),
        "is_favorited": card.is_favorited,
        "thumbnail_url": card.thumbnail_url,
    }
    if card.thumbnail_animated_url is not None:
        meta["thumbnail_animated_url"] = card.thumbnail_animated_url
    meta["model_url"] = f"{root}/run/{card.endpoint_id}"
    for name in ("github_url", "license_type"):
        if getattr(card, name) is not None:
            meta[name] = getattr(card, name)
    meta["date"] = iso_z(card.date)
    if card.group_key and card.group_label:
        meta["group"] = {"key": card.group_key, "label": card.group_label}
    meta["highlighted"] = card.highlighted
    if card.kind is not None:
        meta["kind"] = card.kind
    for name in ("training_endpoint_ids", "inference_endpoint_ids"):
        if getattr(card, name):
            meta[name] = getattr(card, name)
    for name in ("stream_url", "duration_estimate"):
        if getattr(card, name) is not None:
            meta[name] = getattr(card, name)
    meta["pinned"] = card.pinned
    item: dict[str, Any] = {"endpoint_id": card.endpoint_id, "metadata": meta}
    if "openapi-3.0" in expand and openapi is not None:
        item["openapi"] = openapi
    if "enterprise_status" in expand:
        # Everything in a self-hosted catalog was put there by its operator: approved.
        item["enterprise_status"] = "ready"
    return item


# pricing


class Price(BaseModel):
    endpoint_id: str
    unit_price: float = Field(ge=0)
    unit: str
    currency: str = Field(min_length=3, max_length=3)


class PriceList(BaseModel):
    next_cursor: str | None
    has_more: bool
    prices: list[Price]
    unpriced_endpoint_ids: list[str] = Field(
        description="Impasto extension: requested endpoints that have no price set; they are "
        "left out of `prices` rather than given an invented one"
    )


class CallQuantity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call_quantity: int = Field(ge=1, le=1_000_000_000)


class UnitQuantity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_quantity: float = Field(ge=1e-6, le=1e12)


class HistoricalEstimate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    estimate_type: Literal["historical_api_price"]
    endpoints: dict[str, CallQuantity] = Field(
        min_length=1, max_length=50, description="Map of endpoint IDs to call quantities"
    )


class UnitEstimate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    estimate_type: Literal["unit_price"]
    endpoints: dict[str, UnitQuantity] = Field(
        min_length=1, max_length=50, description="Map of endpoint IDs to unit quantities"
    )


EstimateRequest = Annotated[HistoricalEstimate | UnitEstimate, Field(discriminator="estimate_type")]


class EstimateResponse(BaseModel):
    estimate_type: Literal["historical_api_price", "unit_price"]
    total_cost: float = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)


# administration (Impasto's own operations)


class AdminModel(BaseModel):
    """Everything stored about an entry, for the owner or operator who manages it."""

    endpoint_id: str
    owner: str
    metadata: ModelMetadata
    privacy: Literal["public", "private", "unlisted"]
    type: str | None
    collections: list[str]
    created_at: str
    request_count: int
    loaded: bool
    price: PriceSpec | None
    input_schema: dict[str, Any] | None
    output_schema: dict[str, Any] | None


def admin_model(entry: CatalogEntry, base_url: str) -> AdminModel:
    price = None
    if entry.price_unit is not None and entry.price_unit_price is not None:
        price = PriceSpec(
            unit=entry.price_unit,
            unit_price=entry.price_unit_price,
            currency=entry.price_currency or "USD",
        )
    return AdminModel(
        endpoint_id=entry.endpoint_id,
        owner=entry.owner,
        metadata=metadata(entry, None, base_url),
        privacy=entry.privacy,
        type=entry.type,
        collections=list(entry.collections),
        created_at=iso_z(entry.created_at),
        request_count=entry.request_count,
        loaded=entry.loaded,
        price=price,
        input_schema=entry.input_schema,
        output_schema=entry.output_schema,
    )


class FavoriteTarget(BaseModel):
    endpoint_id: EndpointId


def timestamp(value: datetime) -> str:
    return iso_z(value)
