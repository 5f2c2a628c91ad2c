"""What is timed: each scenario as an HTTP request and as the repository call the service
makes for it (``CatalogRepository.search_raw``), with the same parameters in the same order.

Each scenario rotates through a few variants (several words, several cursors, several id
sets) so no single cached plan or page decides its figure.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from impasto.catalog.repository import CatalogRepository
from impasto.catalog.search.query import SearchQuery
from impasto.kit.db import Database
from impasto.kit.search_text import query_terms

PAGE = 50
ONE_WORD = ["flux", "whisper", "portrait", "video", "lipsync", "image"]
PREFIX = ["flu", "sta", "whi", "vid", "ani", "up"]
THREE_WORDS = [
    "stable diffusion xl",
    "flux dev lora",
    "whisper large fast",
    "image to video",
    "anime portrait style",
    "realistic product photo",
]
Q_AND_CATEGORY = [
    ("flux", "text-to-image"),
    ("anime", "image-to-image"),
    ("kling", "image-to-video"),
    ("voice", "text-to-speech"),
]
CATEGORY_AND_STATUS = [
    ("text-to-video", "active"),
    ("image-to-image", "deprecated"),
    ("text-to-image", "active"),
    ("upscaling", "deprecated"),
]
CURSOR_PAGES = (2, 5, 20)


@dataclass(frozen=True, slots=True)
class Variant:
    label: str
    params: dict[str, Any]
    raw: SearchQuery


@dataclass(slots=True)
class Scenario:
    name: str
    variants: list[Variant]
    http: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    hits: dict[str, int] = field(default_factory=dict)
    # Per variant, to see which words cost what: label -> timings.
    http_by: dict[str, list[float]] = field(default_factory=dict)
    raw_by: dict[str, list[float]] = field(default_factory=dict)

    def clear(self) -> None:
        for timings in (self.http, self.raw, self.http_by, self.raw_by):
            timings.clear()


def _search(viewer: str, params: dict[str, Any]) -> SearchQuery:
    """The SearchQuery the service builds for fal's search-mode parameters (one row more
    than the page, to know whether another page follows)."""
    return SearchQuery(
        viewer=viewer,
        terms=query_terms(params.get("q", "")),
        category=params.get("category"),
        status=params.get("status"),
        limit=PAGE + 1,
    )


def build(
    client: httpx.Client, database: Database, viewer: str, lookup_pool: list[str], seed: int
) -> list[Scenario]:
    rng = random.Random(seed)  # noqa: S311  - reproducible choices, not secrets
    list_query = SearchQuery(viewer=viewer, limit=PAGE + 1)
    pages = []
    # Cursors the way clients get them: walking pages, over HTTP and over the raw query.
    cursor: str | None = None
    after: list[Any] | None = None
    for page in range(1, max(CURSOR_PAGES) + 1):
        body = client.get("/v1/models", params={"cursor": cursor} if cursor else None).json()
        with database.session(write=False) as session:
            rows = CatalogRepository(session).search_raw(replace(list_query, after=after))
        cursor, after = body["next_cursor"], list(rows[PAGE - 1][1:])
        if page + 1 in CURSOR_PAGES:
            pages.append(
                Variant(f"page {page + 1}", {"cursor": cursor}, replace(list_query, after=after))
            )
    lookups = []
    for n in range(4):
        ids = rng.sample(lookup_pool, PAGE)
        raw = SearchQuery(viewer=viewer, endpoint_ids=ids, limit=PAGE)
        lookups.append(Variant(f"set {n + 1}", {"endpoint_id": ",".join(ids)}, raw))

    def searches(params: list[dict[str, Any]]) -> list[Variant]:
        labels = [" ".join(str(v) for v in p.values()) for p in params]
        return [Variant(lab, p, _search(viewer, p)) for lab, p in zip(labels, params, strict=True)]

    return [
        Scenario("list, first page", [Variant("", {}, list_query)]),
        Scenario("list, page via cursor", pages),
        Scenario("lookup of 50 ids", lookups),
        Scenario("q, one word", searches([{"q": q} for q in ONE_WORD])),
        Scenario("q, prefix", searches([{"q": q} for q in PREFIX])),
        Scenario("q, three words", searches([{"q": q} for q in THREE_WORDS])),
        Scenario("q + category", searches([{"q": q, "category": c} for q, c in Q_AND_CATEGORY])),
        Scenario(
            "category + status",
            searches([{"category": c, "status": s} for c, s in CATEGORY_AND_STATUS]),
        ),
    ]


def time_http(client: httpx.Client, scenario: Scenario, count: int) -> None:
    for n in range(count):
        variant = scenario.variants[n % len(scenario.variants)]
        start = time.perf_counter()
        response = client.get("/v1/models", params=variant.params)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"{scenario.name} {variant.params}: {response.text[:300]}")
        scenario.http.append(elapsed)
        scenario.http_by.setdefault(variant.label, []).append(elapsed)
        scenario.hits.setdefault(variant.label, len(response.json()["models"]))


def time_raw(database: Database, scenario: Scenario, count: int) -> None:
    """The query alone: a read transaction is opened first, as the request's is."""
    for n in range(count):
        variant = scenario.variants[n % len(scenario.variants)]
        with database.session(write=False) as session:
            repository = CatalogRepository(session)
            start = time.perf_counter()
            repository.search_raw(variant.raw)
            elapsed = time.perf_counter() - start
        scenario.raw.append(elapsed)
        scenario.raw_by.setdefault(variant.label, []).append(elapsed)


def time_floor(client: httpx.Client, count: int) -> list[float]:
    """``GET /health``: the HTTP stack with no database work, for context."""
    return [_timed(lambda: client.get("/health").raise_for_status()) for _ in range(count)]


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]
