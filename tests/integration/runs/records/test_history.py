"""fal's request records: GET /v1/models/requests/by-endpoint and /search, both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from impasto.config import Settings
from impasto.container import Container
from tests.conftest import SERVER_DEFAULT, SettingsFactory, auth, make_key
from tests.integration.runs.records_seed import OTHER_ENDPOINT, add_request

BY_ENDPOINT = "/v1/models/requests/by-endpoint"
SEARCH = "/v1/models/requests/search"


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    """No worker and no apps: the rows these tests write must stay as written."""
    return make_settings(
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        assets_index_interval_seconds=SERVER_DEFAULT,
        embedders=SERVER_DEFAULT,
    )


@pytest.fixture
def keys(container: Container) -> dict[str, dict[str, str]]:
    return {
        "alice": auth(make_key(container, "alice")),
        "bob": auth(make_key(container, "bob")),
    }


def _list(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    params.setdefault("endpoint_id", "acme/app")
    response = client.get(BY_ENDPOINT, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(body: dict[str, Any], field: str = "items") -> list[str]:
    return [item["request_id"] for item in body[field]]


def test_lists_only_the_callers_requests_with_fal_fields(
    client: TestClient, container: Container, keys: dict[str, dict[str, str]]
) -> None:
    mine = add_request(container, "alice", input={"prompt": "a red fox"}, output={"n": 1})
    pending = add_request(container, "alice", status="IN_PROGRESS")
    theirs = add_request(container, "bob")

    body = _list(client, keys["alice"])
    assert _ids(body) == [mine, pending]  # finished first, then pending
    assert body["has_more"] is False
    assert body["next_cursor"] is None
    done, running = body["items"]
    assert set(done) == {
        "request_id",
        "endpoint_id",
        "started_at",
        "sent_at",
        "ended_at",
        "status_code",
        "duration",
    }
    assert done["status_code"] == 200
    assert done["duration"] == 3.0
    assert done["endpoint_id"] == "acme/app"
    assert done["sent_at"].endswith("Z")
    assert running["ended_at"] is None
    assert running["status_code"] is None
    assert running["duration"] is None

    expanded = _list(client, keys["alice"], expand="payloads")["items"][0]
    assert expanded["json_input"] == {"prompt": "a red fox"}
    assert expanded["json_output"] == {"n": 1}

    assert _ids(_list(client, keys["bob"])) == [theirs]


def test_filters(client: TestClient, container: Container, keys: dict[str, dict[str, str]]) -> None:
    now = container.clock.now()
    ok = add_request(container, "alice", result_status=200)
    user_error = add_request(container, "alice", result_status=422)
    cancelled = add_request(container, "alice", result_status=499)
    failed = add_request(container, "alice", result_status=500)
    other = add_request(container, "alice", endpoint_id=OTHER_ENDPOINT)
    old = add_request(container, "alice", created=now - timedelta(days=3))
    alice = keys["alice"]

    assert set(_ids(_list(client, alice, status="success"))) == {ok}
    assert set(_ids(_list(client, alice, status="user_error"))) == {user_error, cancelled}
    assert set(_ids(_list(client, alice, status="error"))) == {failed}
    both = _list(client, alice, endpoint_id=f"acme/app,{OTHER_ENDPOINT}", status="success")
    assert set(_ids(both)) == {ok, other}
    repeated = client.get(
        BY_ENDPOINT,
        params=[("endpoint_id", "acme/app"), ("endpoint_id", OTHER_ENDPOINT)],
        headers=alice,
    ).json()
    assert other in _ids(repeated)
    assert ok in _ids(repeated)

    # The default window is the last 24 hours, widened to 90 days for a request id.
    assert old not in _ids(_list(client, alice))
    assert _ids(_list(client, alice, request_id=old)) == [old]
    since = (now - timedelta(days=4)).date().isoformat()
    assert old in _ids(_list(client, alice, start=since))
    until = (now - timedelta(days=2)).isoformat()
    assert _ids(_list(client, alice, start=since, end=until)) == [old]
    # An empty or inverted window is no error, just nothing.
    assert _ids(_list(client, alice, start=now.isoformat(), end=since)) == []
    assert _ids(_list(client, alice, request_id=container.ids.new())) == []


def _walk(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        body = _list(client, headers, limit=2, **({"cursor": cursor} if cursor else {}), **params)
        seen += _ids(body)
        cursor = body["next_cursor"]
        assert body["has_more"] is (cursor is not None)
        if cursor is None:
            return seen


def test_pages_are_stable_in_both_sort_orders(
    client: TestClient, container: Container, keys: dict[str, dict[str, str]]
) -> None:
    base = container.clock.now() - timedelta(hours=1)
    runs = [5.0, 1.0, 3.0, 3.0, 8.0]  # two equal durations: ties broken by id
    done = [
        add_request(container, "alice", created=base + timedelta(minutes=i), ran_for=r)
        for i, r in enumerate(runs)
    ]
    pending = [
        add_request(container, "alice", status="IN_QUEUE", created=base + timedelta(minutes=i))
        for i in range(3)
    ]
    alice = keys["alice"]

    by_end = _walk(client, alice)
    assert by_end == [*reversed(done), *reversed(pending)]
    by_duration = _walk(client, alice, sort_by="duration")
    expected = sorted(done, key=lambda i: (runs[done.index(i)], i), reverse=True)
    assert by_duration == [*expected, *reversed(pending)]

    # A request finishing while a client pages lands above the cursor: nothing repeats.
    first = _list(client, alice, limit=3)
    add_request(container, "alice", created=base, ran_for=1000.0)
    rest = _walk_from(client, alice, first["next_cursor"])
    assert _ids(first) + rest == by_end


def _walk_from(client: TestClient, headers: dict[str, str], cursor: str) -> list[str]:
    seen: list[str] = []
    while cursor:
        body = _list(client, headers, limit=3, cursor=cursor)
        seen += _ids(body)
        cursor = body["next_cursor"]
    return seen


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"status": "done"},
        {"sort_by": "created_at"},
        {"request_id": "not-a-uuid"},
        {"start": "yesterday"},
        {"end": "2025-13-01"},
        {"start": "1700000000"},
        {"end": "3.87e-82"},
        {"cursor": "garbage"},
        {"endpoint_id": ",".join(f"a/m{i}" for i in range(51))},
    ],
)
def test_bad_input_is_a_400_in_fals_envelope(
    client: TestClient, keys: dict[str, dict[str, str]], params: dict[str, Any]
) -> None:
    response = client.get(
        BY_ENDPOINT, params={"endpoint_id": "acme/app", **params}, headers=keys["alice"]
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "validation_error"


def test_missing_endpoint_id_and_missing_key(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    response = client.get(BY_ENDPOINT, headers=keys["alice"])
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "validation_error"
    assert client.get(BY_ENDPOINT, params={"endpoint_id": "acme/app"}).status_code == 401
    assert client.get(SEARCH).status_code == 401


def test_a_cursor_only_continues_its_own_query(
    client: TestClient, container: Container, keys: dict[str, dict[str, str]]
) -> None:
    for _ in range(3):
        add_request(container, "alice")
    cursor = _list(client, keys["alice"], limit=1)["next_cursor"]
    assert cursor
    response = client.get(
        BY_ENDPOINT,
        params={"endpoint_id": "acme/app", "cursor": cursor, "sort_by": "duration"},
        headers=keys["alice"],
    )
    assert response.status_code == 400
    assert "different query" in response.json()["error"]["message"]
    # Another owner's cursor walks only that owner's own requests.
    other = client.get(
        BY_ENDPOINT, params={"endpoint_id": "acme/app", "cursor": cursor}, headers=keys["bob"]
    )
    assert other.status_code == 200
    assert other.json()["items"] == []


def _search(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get(SEARCH, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_search_browses_newest_first_with_filters(
    client: TestClient, container: Container, keys: dict[str, dict[str, str]]
) -> None:
    base = container.clock.now() - timedelta(hours=2)
    old = add_request(container, "alice", created=base)
    ui = add_request(container, "alice", created=base + timedelta(minutes=1), key_id=None)
    other = add_request(
        container, "alice", created=base + timedelta(minutes=2), endpoint_id=OTHER_ENDPOINT
    )
    add_request(container, "bob", created=base + timedelta(minutes=3))
    alice = keys["alice"]

    body = _search(client, alice)
    assert _ids(body, "results") == [other, ui, old]
    assert all("similarity" not in item for item in body["results"])
    first = _search(client, alice, limit=2)
    rest = _search(client, alice, limit=2, cursor=first["next_cursor"])
    assert _ids(first, "results") + _ids(rest, "results") == [other, ui, old]
    assert rest["has_more"] is False

    assert _ids(_search(client, alice, endpoint_id="acme/app"), "results") == [ui, old]
    assert _ids(_search(client, alice, endpoint=OTHER_ENDPOINT), "results") == [other]
    assert _ids(_search(client, alice, only_api_requests=True), "results") == [other, old]
    assert _ids(_search(client, alice, exclude_api_requests=True), "results") == [ui]


def test_search_ranks_by_words_and_finds_files_by_url(
    client: TestClient, container: Container, keys: dict[str, dict[str, str]]
) -> None:
    url = "http://testserver/files/b/0190-abc/pic.png"
    both = add_request(container, "alice", input={"prompt": "A red FOX at dusk"})
    one = add_request(container, "alice", input={"prompt": "a red barn"})
    add_request(container, "alice", input={"prompt": "a blue sky"})
    made = add_request(container, "alice", output={"images": [{"url": url}]})
    accented = add_request(container, "alice", input={"prompt": "crème brûlée"})
    add_request(container, "bob", input={"prompt": "red fox"})
    alice = keys["alice"]

    body = _search(client, alice, query="red fox")
    assert [(r["request_id"], r["similarity"]) for r in body["results"]] == [
        (both, 1.0),
        (one, 0.5),
    ]
    assert _ids(_search(client, alice, query="red fox", min_similarity=0.6), "results") == [both]
    assert _ids(_search(client, alice, query="brûlée"), "results") == [accented]
    hits = _search(client, alice, image_url=url)["results"]
    assert [(r["request_id"], r["similarity"]) for r in hits] == [(made, 1.0)]
    assert _search(client, alice, query="!!!")["results"] == []
    assert _search(client, alice, video_url="http://x/\x01")["results"] == []

    first = _search(client, alice, query="red fox", limit=1)
    assert first["has_more"] is True
    rest = _search(client, alice, query="red fox", limit=1, cursor=first["next_cursor"])
    assert _ids(first, "results") + _ids(rest, "results") == [both, one]


@pytest.mark.parametrize(
    "params",
    [
        {"query": "fox", "image_url": "http://x/a.png"},
        {"image_url": "http://x/a.png", "video_url": "http://x/a.mp4"},
        {"exclude_api_requests": "true", "only_api_requests": "true"},
        {"min_similarity": 2},
        {"limit": 0},
        {"cursor": "Mg=="},
    ],
)
def test_search_rejects_bad_input(
    client: TestClient, keys: dict[str, dict[str, str]], params: dict[str, Any]
) -> None:
    response = client.get(SEARCH, params=params, headers=keys["alice"])
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "validation_error"
