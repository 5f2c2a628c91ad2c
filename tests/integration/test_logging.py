"""Structured logs: JSON lines on stderr with the request id bound, never the secrets."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from impasto.container import Container
from impasto.kit.logging import LogFormat, configure_logging
from impasto.models import KeyScope
from tests.conftest import auth, make_key, quiet_structlog


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("info", LogFormat.JSON, stream)
    yield stream
    quiet_structlog()
    root.handlers[:], level = saved
    root.setLevel(level)


def test_access_lines_are_json_with_the_request_id(
    client: TestClient, container: Container, json_logs: io.StringIO
) -> None:
    credential = make_key(container, "acme", KeyScope.ADMIN)
    response = client.get("/v1/keys", headers=auth(credential))
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    [access] = [line for line in lines if line.get("event") == "request"]
    assert access["request_id"] == response.headers["x-fal-request-id"]
    assert access["route"] == "/v1/keys"
    assert access["status"] == 200
    assert access["level"] == "info"
    assert credential.split(":")[1] not in json.dumps(lines)
