"""fal's Workflows API (``/v1/workflows``) and Impasto's updates, on both databases."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.integration.workflows.conftest import User, contents, two_nodes

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def error_of(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == kind
    message: str = error["message"]
    return message


# -- create and get ---------------------------------------------------------------------------


def test_create_answers_201_with_the_workflow(acme: User) -> None:
    sent = contents(metadata={"description": "Echoes a prompt", "tags": ["demo"]})
    response = acme.create("echo-1", title="Echo", body=sent, is_public=True)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body.keys() == {"workflow"}
    workflow = body["workflow"]
    assert workflow.keys() == {
        "name",
        "title",
        "user_nickname",
        "created_at",
        "is_public",
        "contents",
    }
    assert workflow["name"] == "echo-1"
    assert workflow["title"] == "Echo"
    assert workflow["user_nickname"] == "acme"
    assert workflow["is_public"] is True
    assert ISO_Z.match(workflow["created_at"]), workflow["created_at"]
    assert workflow["contents"] == sent  # stored as sent, node metadata and all


def test_is_public_defaults_to_false_and_get_returns_the_same(acme: User) -> None:
    created = acme.created("Echo_2")
    assert created["is_public"] is False

    response = acme.get("/v1/workflows/acme/Echo_2")

    assert response.status_code == 200, response.text
    assert response.json() == {"workflow": created}


def test_unknown_workflow_is_404(acme: User) -> None:
    message = error_of(acme.get("/v1/workflows/acme/nothing"), 404, "not_found")
    assert "acme/nothing" in message


def test_a_duplicate_name_is_400_but_other_owners_may_use_it(acme: User, bob: User) -> None:
    acme.created("same")

    message = error_of(acme.create("same", title="Again"), 400, "validation_error")

    assert message == "a workflow named 'same' already exists"
    assert bob.create("same").status_code == 201
    assert acme.list()["total"] == 1


@pytest.mark.parametrize(
    ("field", "value", "mentioned"),
    [
        ("name", "has space", "name"),
        ("name", "slash/in", "name"),
        ("name", "", "name"),
        ("name", "n" * 129, "name"),
        ("title", "", "title"),
        ("title", "t" * 257, "title"),
        ("title", "nul\u0000", "title"),
        ("is_public", "perhaps", "is_public"),
        ("contents", "not an object", "contents"),
        ("contents", {"name": "x", "version": "1", "nodes": {}}, "output"),
        ("unknown", 1, "unknown"),
    ],
)
def test_invalid_fields_are_400_validation_errors(
    acme: User, field: str, value: Any, mentioned: str
) -> None:
    body = {"name": "ok", "title": "ok", "contents": contents(), field: value}

    response = acme.client.post("/v1/workflows", json=body, headers=acme.headers)

    message = error_of(response, 400, "validation_error")  # fal's envelope, never a 422
    assert mentioned in message
    assert acme.list()["total"] == 0


def test_names_may_use_letters_digits_dash_and_underscore(acme: User) -> None:
    name = "Az09_-" + "x" * 122  # 128 characters, the limit
    assert acme.created(name)["name"] == name
    assert acme.created("t", title="t" * 256)["title"] == "t" * 256


def test_contents_over_one_mib_is_400(acme: User) -> None:
    big = contents()
    big["notes"] = "x" * (1 << 20)

    message = error_of(acme.create("big", body=big), 400, "validation_error")

    assert "at most 1048576 bytes" in message
    assert acme.list()["total"] == 0


@pytest.mark.parametrize(
    ("spliced", "reason"),
    [
        (
            "[" * 300 + "]" * 300,
            "contents: Value error, nesting too deep at nodes.echo.input.deep.0.0",
        ),
        ('"\\ud800"', "contents: Value error, a lone surrogate at nodes.echo.input.deep"),
        ('"\\u0000"', None),  # JSON may hold NUL: stored as JSON text, it is escaped
    ],
    ids=["deep", "lone-surrogate", "nul"],
)
def test_contents_must_be_storable_json(acme: User, spliced: str, reason: str | None) -> None:
    body = contents()
    body["nodes"]["echo"]["input"]["deep"] = "SPLICE"
    raw = json.dumps({"name": "odd", "title": "Odd", "contents": body})
    headers = {**acme.headers, "Content-Type": "application/json"}

    response = acme.client.post(
        "/v1/workflows", content=raw.replace('"SPLICE"', spliced), headers=headers
    )

    if reason is None:
        assert response.status_code == 201, response.text
        stored = acme.get("/v1/workflows/acme/odd").json()["workflow"]["contents"]
        assert stored["nodes"]["echo"]["input"]["deep"] == "\x00"
        return
    message = error_of(response, 400, "validation_error")
    assert reason in message


def _with(change: dict[str, Any]) -> dict[str, Any]:
    body = two_nodes("impasto/debug", "impasto/image-tools/resize")
    for path, value in change.items():
        *parents, last = path.split(".")
        target = body
        for part in parents:
            target = target[part]
        target[last] = value
    return body


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(
            _with({"nodes.echo.depends": ["second"]}),
            "the nodes echo -> second -> echo form a cycle",
            id="cycle",
        ),
        pytest.param(
            _with({"nodes.second.depends": ["ghost"]}),
            "node 'second' depends on 'ghost', which is not a node of this workflow",
            id="unknown-depends",
        ),
        pytest.param(
            _with({"nodes.second.input": {"image": "$ghost.images.0.url"}}),
            "node 'second' depends on 'ghost', which is not a node of this workflow",
            id="dangling-node-reference",
        ),
        pytest.param(
            _with({"output": {"echoed": "$ghost.payload"}}),
            "output 'echoed': $ghost.payload refers to no run node",
            id="dangling-output-reference",
        ),
        pytest.param(
            _with({"nodes.echo.input": {"payload": "$input.nope"}}),
            "node 'echo': $input.nope names no field of contents.schema.input",
            id="unknown-input-field",
        ),
        pytest.param(
            _with({"nodes.second.app": "bob/secret"}),
            "node 'second': app 'bob/secret' does not exist or you may not call it",
            id="another-owners-private-app",
        ),
        pytest.param(
            _with({"nodes.second.app": "bob/nothing"}),
            "node 'second': app 'bob/nothing' does not exist or you may not call it",
            id="app-that-does-not-exist",
        ),
        pytest.param(
            _with({"nodes.second.app": "impasto/image-tools/nothing"}),
            "node 'second': app 'impasto/image-tools/nothing' does not exist or you may not "
            "call it",
            id="path-that-does-not-exist",
        ),
        pytest.param(
            _with({"nodes.second.app": "workflows/acme/inner"}),
            "node 'second': app 'workflows/acme/inner' is a workflow, and a node cannot run "
            "a workflow",
            id="nested-workflow",
        ),
        pytest.param(
            _with({"nodes.second.type": "loop"}),
            "node 'second': type must be 'run' or 'output'",
            id="unknown-node-type",
        ),
    ],
)
def test_invalid_definitions_are_400_naming_the_problem(
    acme: User, body: dict[str, Any], reason: str
) -> None:
    acme.created("inner")  # a workflow that exists, for the nested case

    message = error_of(acme.create("broken", body=body), 400, "validation_error")

    assert message == reason
    assert acme.get("/v1/workflows/acme/broken").status_code == 404


def test_an_owner_may_use_their_own_private_app(bob: User) -> None:
    created = bob.created("mine", body=contents(app="bob/secret"))
    assert created["contents"]["nodes"]["echo"]["app"] == "bob/secret"
    assert bob.list()["workflows"][0]["endpoint_ids"] == ["bob/secret"]


# -- list -------------------------------------------------------------------------------------


def test_list_shows_fal_items_newest_first(acme: User) -> None:
    acme.created("plain", title="Plain")
    acme.created(
        "described",
        title="Described",
        body=contents(
            metadata={
                "description": "Resizes",
                "thumbnail_url": "https://example.com/t.png",
                "tags": ["image", "resize"],
            }
        ),
    )

    body = acme.list()

    assert body.keys() == {"workflows", "next_cursor", "has_more", "total"}
    assert body["next_cursor"] is None
    assert body["has_more"] is False
    assert body["total"] == 2
    described, plain = body["workflows"]
    assert plain.keys() == {
        "name",
        "title",
        "user_nickname",
        "created_at",
        "tags",
        "endpoint_ids",
    }
    assert plain["name"] == "plain"
    assert plain["user_nickname"] == "acme"
    assert plain["tags"] == []
    assert plain["endpoint_ids"] == ["impasto/debug"]
    assert ISO_Z.match(plain["created_at"])
    assert described["description"] == "Resizes"
    assert described["thumbnail_url"] == "https://example.com/t.png"
    assert described["tags"] == ["image", "resize"]


def test_list_searches_name_and_title(acme: User) -> None:
    acme.created("upscaler", title="Make it bigger")
    acme.created("thumbs", title="Photo Thumbnails")
    acme.created("under_score", title="Odd 100% title")

    def names(**params: Any) -> list[str]:
        body = acme.list(**params)
        assert body["total"] == len(body["workflows"])
        return [workflow["name"] for workflow in body["workflows"]]

    assert names(search="upscal") == ["upscaler"]
    assert names(search="THUMBNAIL") == ["thumbs"]  # title, any case
    assert names(search="big") == ["upscaler"]
    assert names(search="_") == ["under_score"]  # a literal underscore, not a wildcard
    assert names(search="%") == ["under_score"]
    assert names(search="nothing like it") == []
    assert names(search="  ") == ["under_score", "thumbs", "upscaler"]


def test_list_filters_by_used_endpoint_ids(acme: User) -> None:
    acme.created("debug-only")
    acme.created("resize", body=two_nodes("impasto/debug", "impasto/image-tools/resize"))
    acme.created("convert", body=contents(app="impasto/image-tools/convert"))

    def names(used: Any) -> list[str]:
        body = acme.list(used_endpoint_ids=used)
        assert body["total"] == len(body["workflows"])
        return sorted(workflow["name"] for workflow in body["workflows"])

    assert names("impasto/debug") == ["debug-only", "resize"]
    assert names("impasto/image-tools/resize") == ["resize"]
    assert names("impasto/image-tools") == []  # the app's root is another endpoint
    assert names(["impasto/image-tools/resize", "impasto/image-tools/convert"]) == [
        "convert",
        "resize",
    ]
    assert names("impasto/image-tools/resize, impasto/image-tools/convert") == [
        "convert",
        "resize",
    ]
    assert names("impasto/nothing") == []
    assert names("not an id") == []
    assert names(",") == ["convert", "debug-only", "resize"]  # no id given: no filter
    resize = next(w for w in acme.list()["workflows"] if w["name"] == "resize")
    assert resize["endpoint_ids"] == ["impasto/debug", "impasto/image-tools/resize"]


def test_list_walks_every_page_with_cursors(acme: User) -> None:
    for index in range(5):
        acme.created(f"page-{index}")
    acme.created("other", title="Elsewhere")

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1, "search": "page"}
        if cursor is not None:
            params["cursor"] = cursor
        body = acme.list(**params)
        assert body["total"] == 5  # every page counts the whole query
        assert len(body["workflows"]) == 1
        seen.append(body["workflows"][0]["name"])
        assert body["has_more"] is (body["next_cursor"] is not None)
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert seen == ["page-4", "page-3", "page-2", "page-1", "page-0"]
    first = acme.list(limit=2, search="page")
    assert [w["name"] for w in first["workflows"]] == ["page-4", "page-3"]
    message = error_of(
        acme.get("/v1/workflows", limit=2, search="x", cursor=first["next_cursor"]),
        400,
        "validation_error",
    )
    assert "different query" in message
    error_of(acme.get("/v1/workflows", cursor="made-up"), 400, "validation_error")


def test_a_cursor_is_bound_to_its_owner(acme: User, bob: User) -> None:
    acme.created("a1")
    acme.created("a2")
    cursor = acme.list(limit=1)["next_cursor"]
    assert cursor is not None

    error_of(bob.get("/v1/workflows", limit=1, cursor=cursor), 400, "validation_error")


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"limit": "x"}, {"search": "s" * 257}, {"search": "a\x00b"}],
)
def test_invalid_list_parameters_are_400(acme: User, params: dict[str, Any]) -> None:
    error_of(acme.get("/v1/workflows", **params), 400, "validation_error")


# -- owners -----------------------------------------------------------------------------------


def test_lists_show_only_the_callers_own_workflows(acme: User, bob: User) -> None:
    acme.created("a-private")
    acme.created("a-public", is_public=True)
    bob.created("b-private")

    assert [w["name"] for w in bob.list()["workflows"]] == ["b-private"]
    assert [w["name"] for w in acme.list()["workflows"]] == ["a-public", "a-private"]
    assert bob.list(search="a-")["total"] == 0


def test_another_owners_private_workflow_does_not_exist(acme: User, bob: User) -> None:
    created = acme.created("hidden", title="Hidden")
    path = "/v1/workflows/acme/hidden"
    not_found = error_of(bob.get("/v1/workflows/acme/nothing"), 404, "not_found")

    for response in (
        bob.get(path),
        bob.patch(path, {"title": "Mine now"}),
        bob.put(path, {"title": "Mine now", "contents": contents()}),
        bob.delete(path),
    ):
        message = error_of(response, 404, "not_found")
        assert message == not_found.replace("nothing", "hidden")  # told apart by nothing

    assert acme.get(path).json() == {"workflow": created}


def test_a_public_workflow_may_be_read_but_not_changed_by_others(acme: User, bob: User) -> None:
    created = acme.created("shared", title="Shared", is_public=True)
    path = "/v1/workflows/acme/shared"

    assert bob.get(path).json() == {"workflow": created}
    for response in (
        bob.patch(path, {"title": "Mine now"}),
        bob.put(path, {"title": "Mine now", "contents": contents()}),
        bob.delete(path),
    ):
        message = error_of(response, 403, "authorization_error")
        assert "only its owner" in message

    assert acme.get(path).json() == {"workflow": created}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/workflows"),
        ("POST", "/v1/workflows"),
        ("GET", "/v1/workflows/acme/x"),
        ("PATCH", "/v1/workflows/acme/x"),
        ("PUT", "/v1/workflows/acme/x"),
        ("DELETE", "/v1/workflows/acme/x"),
    ],
)
def test_every_operation_needs_a_key(client: TestClient, method: str, path: str) -> None:
    body = {"name": "x", "title": "x", "contents": contents()}
    response = client.request(method, path, json=body if method in {"POST", "PUT"} else None)
    error_of(response, 401, "authorization_error")


# -- the catalog ------------------------------------------------------------------------------


def _input_schema(model: dict[str, Any]) -> dict[str, Any]:
    schemas = model["openapi"]["components"]["schemas"]
    [name] = [name for name in schemas if name.endswith("Input")]
    schema: dict[str, Any] = schemas[name]
    return schema


def test_a_workflow_is_an_endpoint_in_the_catalog(acme: User, bob: User) -> None:
    acme.created(
        "cat",
        title="Catalogued",
        body=contents(
            inputs={
                "prompt": {"type": "string", "label": "Prompt"},
                "seed": {"type": "integer", "default": 3},
            },
            metadata={"description": "Echoes"},
        ),
    )

    [model] = acme.model("workflows/acme/cat", expand="openapi-3.0")

    assert model["endpoint_id"] == "workflows/acme/cat"
    assert model["metadata"]["display_name"] == "Catalogued"
    assert model["metadata"]["category"] == "workflow"
    assert model["metadata"]["description"] == "Echoes"
    assert _input_schema(model) == {
        "type": "object",
        "properties": {"prompt": {"type": "string"}, "seed": {"type": "integer", "default": 3}},
        "required": ["prompt"],
    }
    assert bob.model("workflows/acme/cat") == []  # private: not bob's to see
    assert acme.get("/v1/models", q="Catalogued").json()["models"][0]["endpoint_id"] == (
        "workflows/acme/cat"
    )


def test_update_changes_contents_and_the_catalog(acme: User, bob: User) -> None:
    created = acme.created("evolving", title="Before")
    path = "/v1/workflows/acme/evolving"
    newer = contents(
        app="impasto/image-tools/convert",
        inputs={"prompt": {"type": "string"}, "size": {"type": "integer", "required": True}},
    )

    response = acme.patch(path, {"title": "After", "contents": newer, "is_public": True})

    assert response.status_code == 200, response.text
    workflow = response.json()["workflow"]
    assert workflow == {
        **created,
        "title": "After",
        "contents": newer,
        "is_public": True,
    }
    assert acme.get(path).json() == {"workflow": workflow}
    [model] = bob.model("workflows/acme/evolving", expand="openapi-3.0")  # public now
    assert model["metadata"]["display_name"] == "After"
    assert _input_schema(model)["properties"].keys() == {"prompt", "size"}
    assert _input_schema(model)["required"] == ["prompt", "size"]
    [item] = acme.list()["workflows"]
    assert item["endpoint_ids"] == ["impasto/image-tools/convert"]
    assert acme.list(used_endpoint_ids="impasto/debug")["total"] == 0


def test_patch_changes_only_what_it_is_given(acme: User) -> None:
    created = acme.created("partial", title="Before", is_public=True)
    path = "/v1/workflows/acme/partial"

    response = acme.patch(path, {"title": "After"})

    assert response.json() == {"workflow": {**created, "title": "After"}}
    assert acme.patch(path, {}).json() == {"workflow": {**created, "title": "After"}}
    message = error_of(acme.patch(path, {"title": None}), 400, "validation_error")
    assert "not null" in message


def test_an_invalid_update_changes_nothing(acme: User) -> None:
    created = acme.created("stable")
    path = "/v1/workflows/acme/stable"
    broken = contents(app="bob/secret")

    message = error_of(
        acme.patch(path, {"title": "New", "contents": broken}), 400, "validation_error"
    )

    assert "does not exist or you may not call it" in message
    assert acme.get(path).json() == {"workflow": created}


def test_put_replaces_the_workflow(acme: User, bob: User) -> None:
    created = acme.created("whole", title="Before", is_public=True)
    path = "/v1/workflows/acme/whole"
    newer = contents(metadata={"description": "now described"})

    response = acme.put(path, {"title": "After", "contents": newer})

    assert response.status_code == 200, response.text
    assert response.json() == {
        "workflow": {**created, "title": "After", "contents": newer, "is_public": False}
    }
    assert bob.model("workflows/acme/whole") == []  # private again
    [model] = acme.model("workflows/acme/whole")
    assert model["metadata"]["description"] == "now described"
    error_of(acme.put(path, {"title": "Only a title"}), 400, "validation_error")


def test_rename_moves_the_workflow_and_its_endpoint(acme: User) -> None:
    acme.created("old-name", title="Renamed")
    acme.created("taken")

    message = error_of(
        acme.patch("/v1/workflows/acme/old-name", {"name": "taken"}), 400, "validation_error"
    )
    assert message == "a workflow named 'taken' already exists"
    response = acme.patch("/v1/workflows/acme/old-name", {"name": "new-name"})

    assert response.status_code == 200, response.text
    assert response.json()["workflow"]["name"] == "new-name"
    assert acme.get("/v1/workflows/acme/old-name").status_code == 404
    assert acme.get("/v1/workflows/acme/new-name").json() == response.json()
    assert acme.model("workflows/acme/old-name") == []
    [model] = acme.model("workflows/acme/new-name")
    assert model["metadata"]["display_name"] == "Renamed"


def test_delete_removes_the_workflow_and_its_catalog_entry(acme: User) -> None:
    acme.created("doomed")
    acme.created("kept")
    path = "/v1/workflows/acme/doomed"

    response = acme.delete(path)

    assert response.status_code == 204
    assert response.content == b""
    error_of(acme.get(path), 404, "not_found")
    assert acme.model("workflows/acme/doomed") == []
    assert [w["name"] for w in acme.list()["workflows"]] == ["kept"]
    error_of(acme.delete(path), 404, "not_found")
    assert acme.created("doomed")["name"] == "doomed"  # the name is free again
