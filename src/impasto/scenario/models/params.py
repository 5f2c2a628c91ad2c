"""Scenario's listing parameters and the rules between them; every violation is a 400 that
names the parameters involved (``reference/peers.md`` §1.2)."""

from __future__ import annotations

from dataclasses import dataclass

from impasto.catalog.search.listing import BrowseQuery, BrowseSort, Privacy
from impasto.kit.comma_lists import split_commas
from impasto.kit.errors import InvalidRequest
from impasto.kit.text import is_storable
from impasto.scenario.params import parse_bool, parse_choice, parse_date

# Scenario's model types, as its API enumerates them.
MODEL_TYPES = frozenset(
    {
        "custom",
        "elevenlabs-voice",
        "flux.1",
        "flux.1-composition",
        "flux.1-kontext-dev",
        "flux.1-kontext-lora",
        "flux.1-krea-dev",
        "flux.1-krea-lora",
        "flux.1-lora",
        "flux.1-pro",
        "flux.1.1-pro-ultra",
        "flux1.1-pro",
        "gpt-image-1",
        "qwen-image",
        "qwen-image-lora",
        "sd-1_5",
        "sd-1_5-composition",
        "sd-1_5-lora",
        "sd-xl",
        "sd-xl-composition",
        "sd-xl-lora",
        "sd-3_5",
        "sd-3_5-lora",
        "hidream-i1",
        "wan-2.1",
        "wan-2.1-lora",
        "wan-2.2",
        "wan-2.2-lora",
        "ltx-video",
        "hunyuan-video",
        "seedream",
        "seededit",
        "imagen",
        "ideogram",
        "recraft",
        "kling",
        "veo",
    }
)
SORTS: dict[str, BrowseSort] = {
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "score": "popularity",
}
MAX_PAGE_SIZE = 500
MAX_LIST_VALUES = 50


@dataclass(frozen=True, slots=True)
class RawListParams:
    """Query parameters as received (strings), before the rules are applied."""

    privacy: str | None = None
    sort_by: str | None = None
    sort_direction: str | None = None
    created_after: str | None = None
    created_before: str | None = None
    updated_after: str | None = None
    updated_before: str | None = None
    collection_ids: str | None = None
    collection_id: str | None = None
    tags: str | None = None
    type: str | None = None
    types: str | None = None
    status: str | None = None
    on_gpu: str | None = None
    blacklisted: str | None = None
    page_size: str | None = None
    pagination_token: str | None = None


def _list(name: str, value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = list(dict.fromkeys(split_commas(value)))
    if not items:
        raise InvalidRequest(f"{name} must not be empty")
    if len(items) > MAX_LIST_VALUES:
        raise InvalidRequest(f"{name} accepts at most {MAX_LIST_VALUES} values")
    if any(len(item) > 64 or not is_storable(item) for item in items):
        raise InvalidRequest(f"{name} values are at most 64 characters, without control characters")
    return items


def browse_query(raw: RawListParams, viewer: str) -> BrowseQuery:  # noqa: PLR0912
    """Apply Scenario's rules; the first violated one answers 400."""
    privacy: Privacy = (
        parse_choice(  # type: ignore[assignment]
            "privacy", raw.privacy, ("private", "public", "unlisted")
        )
        or "private"
    )
    sort_by = parse_choice("sortBy", raw.sort_by, tuple(SORTS))
    direction = parse_choice("sortDirection", raw.sort_direction, ("asc", "desc"))
    public = privacy == "public"
    if sort_by is None:
        sort_by = "score" if public else "createdAt"
    if not public and sort_by == "updatedAt":
        raise InvalidRequest("sortBy=updatedAt is only available with privacy=public")
    if not public and sort_by == "score" and (raw.privacy is None or raw.status is None):
        raise InvalidRequest("sortBy=score on private models needs both privacy and status")
    if (raw.created_after or raw.created_before) and sort_by != "createdAt":
        raise InvalidRequest("createdAfter and createdBefore need sortBy=createdAt")
    if (raw.updated_after or raw.updated_before) and sort_by != "updatedAt":
        raise InvalidRequest("updatedAfter and updatedBefore need sortBy=updatedAt")
    if raw.collection_ids is not None and not public:
        raise InvalidRequest("collectionIds is for privacy=public; use collectionId")
    if raw.collection_id is not None and public:
        raise InvalidRequest("collectionId is for private and unlisted models; use collectionIds")
    if raw.status is not None and public:
        raise InvalidRequest("status is only available for private and unlisted models")
    status = parse_choice("status", raw.status, ("active", "deprecated"))
    if raw.type is not None and raw.types is not None:
        raise InvalidRequest("type and types cannot be combined")
    types = _list("types", raw.types) or ([raw.type] if raw.type is not None else None)
    unknown = sorted(set(types or ()) - MODEL_TYPES)
    if unknown:
        raise InvalidRequest(f"type/types: unknown model type(s) {', '.join(unknown)}")
    try:
        page_size = int(raw.page_size) if raw.page_size is not None else 100
    except ValueError as exc:
        raise InvalidRequest("pageSize must be an integer") from exc
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"pageSize must be between 1 and {MAX_PAGE_SIZE}")
    collections = _list("collectionIds", raw.collection_ids)
    if raw.collection_id is not None:
        collections = _list("collectionId", raw.collection_id)
        if collections and len(collections) > 1:
            raise InvalidRequest("collectionId takes one collection; use collectionIds")
    # Ignored for public listings sorted by score, as Scenario does.
    descending = direction != "asc" or (public and sort_by == "score")
    return BrowseQuery(
        viewer=viewer,
        privacy=privacy,
        sort=SORTS[sort_by],
        descending=descending,
        created_after=parse_date("createdAfter", raw.created_after),
        created_before=parse_date("createdBefore", raw.created_before),
        updated_after=parse_date("updatedAfter", raw.updated_after),
        updated_before=parse_date("updatedBefore", raw.updated_before),
        collection_ids=collections,
        tags=_list("tags", raw.tags),
        types=types,
        status=status,
        loaded_only=parse_bool("onGPU", raw.on_gpu),
        blacklisted=parse_bool("blacklisted", raw.blacklisted),
        limit=page_size,
        cursor=raw.pagination_token,
    )
