"""The studio's scripts and styles come from inside the package, by name only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def test_scripts_and_styles_are_served_with_validators(client: TestClient) -> None:
    script = client.get("/studio/static/main.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"
    again = client.get("/studio/static/main.js", headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/studio/static/studio.css").headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "name", ["..%2F__init__.py", "__init__.py", "nope.js", "MAIN.JS", "main.js.map"]
)
def test_nothing_else_is_served(client: TestClient, name: str) -> None:
    assert client.get(f"/studio/static/{name}").status_code == 404


def test_the_sign_in_page_needs_no_script(client: TestClient) -> None:
    page = client.get("/sign-in")
    assert page.status_code == 200
    assert "<script" not in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
