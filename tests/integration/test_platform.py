"""Health, /v1/meta, /metrics and the OpenAPI document."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from impasto.app import create_app
from impasto.config import Settings
from impasto.container import Container, build_container
from impasto.models import KeyScope
from tests.conftest import auth, make_key
from tests.scrape import scrape


def test_health_needs_no_key(client: TestClient, container: Container) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == container.database.dialect


def test_health_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url="postgresql://nobody@127.0.0.1:1/none", db_pool_size=1
    )
    with TestClient(create_app(settings, build_container(settings))) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.headers["X-Fal-Error-Type"]


def test_meta_lists_webhook_ranges_without_a_key(database_url: str, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url=database_url, webhook_ip_ranges=["10.1.2.3", "fd00::/8"]
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/v1/meta")
    assert response.status_code == 200
    assert response.json() == {"webhook_ip_ranges": ["10.1.2.3/32", "fd00::/8"]}


def test_metrics_count_requests_by_route_template(client: TestClient, container: Container) -> None:
    key = auth(make_key(container, "acme", KeyScope.ADMIN))
    # Unknown ids: 404, one route template whatever the id.
    client.delete("/v1/keys/first", headers=key)
    client.delete("/v1/keys/second", headers=key)
    client.get("/v1/keys")
    client.get("/no/such/route")
    text = client.get("/metrics").text
    assert (
        'impasto_http_requests_total{method="DELETE",route="/v1/keys/{key_id}",status="404"} 2.0'
        in text
    )
    assert 'impasto_http_requests_total{method="GET",route="/v1/keys",status="401"} 1.0' in text
    assert 'route="<unmatched>",status="404"' in text
    assert (
        'impasto_http_request_duration_seconds_count{method="DELETE",'
        'route="/v1/keys/{key_id}",status="404"} 2.0' in text
    )
    assert "/v1/keys/first" not in text  # raw paths never become labels


# Every series /metrics serves, with its type: renaming one breaks dashboards and alerts.
# (Counters are listed without ``_total``, as the exposition's families are named. Their
# labels are pinned where each series is moved: tests/integration/**/test_metrics.py.)
SERIES = {
    "impasto_http_requests": "counter",
    "impasto_http_request_duration_seconds": "histogram",
    "impasto_queue_requests": "gauge",
    "impasto_queue_wait_seconds": "histogram",
    "impasto_queue_run_seconds": "histogram",
    "impasto_queue_completed": "counter",
    "impasto_queue_retries": "counter",
    "impasto_queue_lease_expiries": "counter",
    "impasto_queue_runner_crashes": "counter",
    "impasto_queue_given_up": "counter",
    "impasto_runner_starts": "counter",
    "impasto_runner_start_seconds": "histogram",
    "impasto_runner_exits": "counter",
    "impasto_assets_index_backlog": "gauge",
    "impasto_assets_index_jobs": "counter",
    "impasto_webhook_deliveries": "counter",
    "impasto_webhook_delivery_seconds": "histogram",
    "impasto_webhook_outbox": "gauge",
    "impasto_vector_index_build_seconds": "histogram",
    "impasto_vector_index_vectors": "gauge",
}


def test_metrics_serve_every_series_with_its_type(client: TestClient) -> None:
    metrics = scrape(client)
    assert metrics.types == SERIES
    # Read at scrape time from the (empty) database: zeros, not missing series.
    assert metrics.value("impasto_assets_index_backlog") == 0
    assert metrics.value("impasto_webhook_outbox", state="new") == 0


def test_private_metrics_need_an_admin_key(database_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=database_url, metrics_public=False)
    container = build_container(settings)
    with TestClient(create_app(settings, container)) as client:
        assert client.get("/metrics").status_code == 401
        api = auth(make_key(container, "acme", KeyScope.API))
        assert client.get("/metrics", headers=api).status_code == 403
        admin = auth(make_key(container, "acme", KeyScope.ADMIN))
        assert client.get("/metrics", headers=admin).status_code == 200


def test_openapi_document(client: TestClient) -> None:
    document = client.get("/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1.")
    assert set(document["components"]["securitySchemes"]) == {"apiKey", "adminApiKey"}
    operations = {
        (path, method): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    assert {op["operationId"] for op in operations.values()} >= {
        "listApiKeys",
        "createApiKey",
        "deleteApiKey",
        "getMeta",
    }
    assert operations[("/v1/keys", "get")]["security"] == [{"adminApiKey": []}]
    assert all(path.startswith("/v1/") for path, _ in operations)
    for operation in operations.values():
        assert "422" not in operation["responses"]  # /v1 answers 400 validation_error


def test_docs_are_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/v1/openapi.json" in page.text
    assert "cdn." not in page.text
    script = client.get("/docs/static/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "isOAS31" in script.text  # Swagger UI 5: renders OpenAPI 3.1


@pytest.mark.parametrize("path", ["/v1/keys", "/v1/keys/{key_id}"])
def test_error_responses_are_documented(client: TestClient, path: str) -> None:
    document = client.get("/v1/openapi.json").json()
    for operation in document["paths"][path].values():
        assert {"400", "401", "403", "429", "500"} <= operation["responses"].keys()
