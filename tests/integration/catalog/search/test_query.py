"""Relevance search: fields, prefixes, multi-word queries, ranking, ties, both databases."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from impasto.container import Container
from tests.integration.catalog.conftest import ids, requests, seed

# One shared data set: the same queries must rank the same way on SQLite and PostgreSQL.
DATASET: list[dict[str, Any]] = [
    {
        "endpoint_id": "fal-ai/flux/dev",
        "display_name": "FLUX.1 [dev]",
        "category": "text-to-image",
        "description": "A 12B parameter flow transformer for images.",
        "tags": ["fast", "open"],
    },
    {
        "endpoint_id": "fal-ai/flux-pro/v1.1",
        "display_name": "FLUX1.1 [pro]",
        "category": "text-to-image",
        "description": "Professional grade image generation.",
        "tags": ["pro"],
    },
    {
        "endpoint_id": "acme/fluxgate",
        "display_name": "Gate keeper",
        "category": "image-to-image",
        "description": "Controls the flow of images.",
        "tags": [],
    },
    {
        "endpoint_id": "acme/upscaler",
        "display_name": "Super upscaler",
        "category": "image-to-image",
        "description": "Upscale photos; works with flux outputs.",
        "tags": ["upscale"],
    },
    {
        "endpoint_id": "acme/video-maker",
        "display_name": "Video maker",
        "category": "image-to-video",
        "description": "Turn an image into a short clip.",
        "tags": ["video", "fast"],
    },
    {
        "endpoint_id": "impasto/image-tools/resize",
        "display_name": "Resize image",
        "category": "image-to-image",
        "description": "Resize an image to a width and height.",
        "tags": ["tools"],
    },
    {
        "endpoint_id": "acme/cafe-bot",
        "display_name": "Café Crème",
        "category": "text-to-text",
        "description": "Résumé writer.",
        "tags": ["naïve"],
    },
]


def search(client: TestClient, q: str, **params: Any) -> list[str]:
    response = client.get("/v1/models", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return ids(response.json())


def test_prefixes_find_words_anywhere_in_the_name_or_id(
    client: TestClient, container: Container
) -> None:
    seed(container, *DATASET)
    found = search(client, "flu")
    # Name hits (equal scores: by id) before an id-only hit, before a description-only hit.
    assert found[:2] == ["fal-ai/flux-pro/v1.1", "fal-ai/flux/dev"]
    assert found[2] == "acme/fluxgate"
    assert set(found) == {
        "fal-ai/flux/dev",
        "fal-ai/flux-pro/v1.1",
        "acme/fluxgate",
        "acme/upscaler",
    }
    assert found[-1] == "acme/upscaler"  # only its description mentions flux


def test_every_word_must_match_somewhere(client: TestClient, container: Container) -> None:
    seed(container, *DATASET)
    assert search(client, "flux pro") == ["fal-ai/flux-pro/v1.1"]
    assert search(client, "image video") == ["acme/video-maker"]
    assert search(client, "resize width") == ["impasto/image-tools/resize"]
    assert search(client, "flux nonexistentword") == []


def test_fields_searched(client: TestClient, container: Container) -> None:
    seed(container, *DATASET)
    assert search(client, "upscale") == ["acme/upscaler"]  # tag and name prefix
    assert search(client, "tools") == ["impasto/image-tools/resize"]  # id and tag
    assert "acme/video-maker" in search(client, "image-to-video")  # category
    assert search(client, "transformer") == ["fal-ai/flux/dev"]  # description


def test_case_accents_and_punctuation_are_folded(client: TestClient, container: Container) -> None:
    seed(container, *DATASET)
    assert search(client, "CAFE") == ["acme/cafe-bot"]
    assert search(client, "crème") == ["acme/cafe-bot"]
    assert search(client, "naive") == ["acme/cafe-bot"]
    assert search(client, "FLUX.1") == ["fal-ai/flux/dev", "fal-ai/flux-pro/v1.1"]
    assert search(client, "!!!") == []
    assert search(client, "'\" OR 1=1 --") == []  # query syntax is never passed through


def test_exact_words_beat_prefixes_and_phrases_get_a_bonus(
    client: TestClient, container: Container
) -> None:
    seed(
        container,
        {"endpoint_id": "acme/a", "display_name": "Imagery studio"},
        {"endpoint_id": "acme/b", "display_name": "Image studio"},
        {"endpoint_id": "acme/c", "display_name": "Studio image"},
    )
    assert search(client, "image") == ["acme/b", "acme/c", "acme/a"]
    assert search(client, "image studio")[0] == "acme/b"


def test_ties_break_by_pinned_highlighted_popularity_then_id(
    client: TestClient, container: Container
) -> None:
    seed(
        container,
        {"endpoint_id": "acme/e", "display_name": "Tool"},
        {"endpoint_id": "acme/d", "display_name": "Tool"},
        {"endpoint_id": "acme/c", "display_name": "Tool"},
        {"endpoint_id": "acme/b", "display_name": "Tool", "highlighted": True},
        {"endpoint_id": "acme/a", "display_name": "Tool", "pinned": True},
    )
    requests(container, "acme/e", 10)
    expected = ["acme/a", "acme/b", "acme/e", "acme/c", "acme/d"]
    assert search(client, "tool") == expected
    assert ids(client.get("/v1/models").json()) == expected  # the same order without q


def test_same_top_results_for_a_battery_of_queries(
    client: TestClient, container: Container
) -> None:
    """Pinned here and run on both databases by the database_url fixture."""
    seed(container, *DATASET)
    expected = {
        "flux": ["fal-ai/flux/dev", "fal-ai/flux-pro/v1.1", "acme/fluxgate", "acme/upscaler"],
        "image": [
            "impasto/image-tools/resize",  # a name word beats category words
            "acme/fluxgate",
            "acme/upscaler",
            "acme/video-maker",
            "fal-ai/flux-pro/v1.1",
            "fal-ai/flux/dev",
        ],
        "text to image": ["fal-ai/flux-pro/v1.1", "fal-ai/flux/dev"],
        "fast": ["acme/video-maker", "fal-ai/flux/dev"],
        "v1": ["fal-ai/flux-pro/v1.1"],
    }
    for q, top in expected.items():
        assert search(client, q) == top, q


def test_search_pages_have_no_duplicates_or_gaps(client: TestClient, container: Container) -> None:
    seed(
        container,
        *({"endpoint_id": f"acme/tool-{i:02d}", "display_name": "Tool"} for i in range(7)),
    )
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": "tool", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/models", params=params).json()
        seen += ids(page)
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert seen == [f"acme/tool-{i:02d}" for i in range(7)]
