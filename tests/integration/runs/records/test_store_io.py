"""A request sent with ``X-Fal-Store-IO: 0`` keeps no payload in the history: listing with
payloads shows none, and search never matches its output."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update

from impasto.container import Container
from impasto.models import RequestRecord
from tests.conftest import auth, make_key
from tests.integration.runs.records_seed import ENDPOINT, add_request


def test_unstored_payloads_are_neither_shown_nor_searched(
    client: TestClient, container: Container
) -> None:
    key = auth(make_key(container, "acme"))
    kept = add_request(container, "acme", output={"caption": "a purple heron"})
    private = add_request(container, "acme", output={"caption": "a purple secret"})
    with container.database.session(write=True) as session:
        session.execute(
            update(RequestRecord).where(RequestRecord.request_id == private).values(store_io=False)
        )
    items = client.get(
        "/v1/models/requests/by-endpoint",
        params={"endpoint_id": ENDPOINT, "expand": "payloads"},
        headers=key,
    ).json()["items"]
    outputs = {item["request_id"]: item["json_output"] for item in items}
    assert outputs == {kept: {"caption": "a purple heron"}, private: None}
    found = client.get("/v1/models/requests/search", params={"query": "purple"}, headers=key)
    assert [r["request_id"] for r in found.json()["results"]] == [kept]
