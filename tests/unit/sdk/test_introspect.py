from collections.abc import Iterator

import pytest
from pydantic import BaseModel, Field

from impasto.sdk import App, AppManifest, Image, describe, endpoint, load_app, openapi


class Prompt(BaseModel):
    prompt: str = Field(description="What to draw.")
    steps: int = Field(default=4, ge=1, le=50)


class Picture(BaseModel):
    image: Image
    seed: int


class Painter(App, name="painter", max_multiplexing=2):
    @endpoint("/")
    def run(self, inp: Prompt) -> Picture:
        raise NotImplementedError

    @endpoint("/stream")
    def stream(self, inp: Prompt) -> Iterator[Picture]:
        yield from ()


def test_describe_lists_endpoints_with_schemas_and_round_trips() -> None:
    manifest = describe(Painter)
    assert manifest.name == "painter"
    assert manifest.endpoint_ids("acme") == ["acme/painter", "acme/painter/stream"]
    root = manifest.endpoints[0]
    assert (root.path, root.name, root.kind) == ("/", "run", "unary")
    assert root.input_schema["required"] == ["prompt"]
    assert root.input_schema["properties"]["steps"]["maximum"] == 50
    assert root.output_schema["properties"]["image"] == {"$ref": "#/$defs/Image"}
    assert "Image" in root.output_schema["$defs"]
    assert manifest.endpoints[1].kind == "streaming"
    assert AppManifest.from_json(manifest.to_json()) == manifest


def test_openapi_looks_like_fals() -> None:
    doc = openapi(Painter)
    assert doc["openapi"].startswith("3.")
    assert doc["x-fal-order-paths"] == ["/", "/stream", "/health"]
    post = doc["paths"]["/"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Prompt"
    }
    ok = post["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Picture"}
    assert "422" in post["responses"]
    schemas = doc["components"]["schemas"]
    assert schemas["Prompt"]["x-fal-order-properties"] == ["prompt", "steps"]
    assert {"HTTPValidationError", "ValidationError"} <= set(schemas)
    assert "text/event-stream" in doc["paths"]["/stream"]["post"]["responses"]["200"]["content"]
    assert "get" in doc["paths"]["/health"]


def test_load_app_checks_the_reference() -> None:
    assert load_app("impasto.apps.debug:DebugApp").app_name == "debug"
    with pytest.raises(ValueError, match="must look like"):
        load_app("impasto.apps.debug")
    with pytest.raises(ValueError, match="no attribute"):
        load_app("impasto.apps.debug:Nope")
    with pytest.raises(ValueError, match=r"not an impasto\.sdk\.App"):
        load_app("impasto.apps.debug:DebugInput")
    with pytest.raises(ModuleNotFoundError):
        load_app("impasto.apps.missing_module:App")
