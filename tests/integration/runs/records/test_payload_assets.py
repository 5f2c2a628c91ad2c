"""Deleting a request's payloads also deletes the assets of the files it deleted, so the
asset library never lists a file that is gone."""

from __future__ import annotations

from fastapi.testclient import TestClient

from impasto.assets.ingest.runs import record_run
from impasto.container import Container
from impasto.models import KeyScope
from tests.conftest import auth, make_key
from tests.integration.runs.records_seed import ENDPOINT, add_file, add_request


def test_assets_of_deleted_files_go_with_them(client: TestClient, container: Container) -> None:
    admin = auth(make_key(container, "acme", KeyScope.ADMIN))
    _, made = add_file(container, "acme", "out.png")
    _, given = add_file(container, "acme", "in.png")
    request_id = add_request(
        container, "acme", input={"image_url": given}, output={"images": [{"url": made}]}
    )
    with container.database.session(write=True) as session:
        record_run(
            session,
            container.ids,
            owner="acme",
            request_id=request_id,
            endpoint_id=ENDPOINT,
            input_payload={"image_url": given},
            output_payload={"images": [{"url": made}]},
            created_at=container.clock.now(),
        )
    before = client.get("/v1/assets", headers=admin).json()["assets"]
    assert sorted(a["source"] for a in before) == ["request", "response"]
    made_asset = next(a for a in before if a["source"] == "response")
    inputs = client.get("/v1/assets", params={"source": "request"}, headers=admin)
    assert inputs.status_code == 200, inputs.text
    assert [a["source"] for a in inputs.json()["assets"]] == ["request"]

    response = client.delete(f"/v1/models/requests/{request_id}/payloads", headers=admin)
    assert response.status_code == 200, response.text

    after = client.get("/v1/assets", headers=admin).json()["assets"]
    assert [a["source"] for a in after] == ["request"]  # the input file was kept
    gone = client.get(f"/v1/assets/{made_asset['asset_id']}", headers=admin)
    assert gone.status_code == 404
