import numpy as np
import pytest

from impasto.apps.text_embedding import MAX_TEXTS, TextEmbeddingApp
from impasto.kit.errors import RequestValidationFailed
from impasto.sdk import describe
from impasto.sdk.validation import check_payload
from tests.unit.apps.conftest import Start

pytestmark = pytest.mark.anyio


async def test_embeds_one_text_or_a_list_in_order(local_runner: Start) -> None:
    runner = await local_runner(TextEmbeddingApp)
    one = await runner.call("/", {"input": "a red car"})
    assert one.status == 200, one.body
    assert one.body["model"] == "all-MiniLM-L6-v2"
    assert one.body["dimensions"] == 384
    assert one.body["usage"] == {"prompt_tokens": 5, "total_tokens": 5}
    [vector] = one.body["embeddings"]
    assert len(vector) == 384
    assert abs(np.linalg.norm(vector) - 1.0) < 1e-5

    many = await runner.call(
        "/", {"input": ["a crimson automobile", "a red car", "quarterly tax filing rules"]}
    )
    assert many.status == 200, many.body
    crimson, red, tax = np.array(many.body["embeddings"])
    np.testing.assert_allclose(red, vector, atol=2e-6)  # same text, same vector, any batch
    assert crimson @ red > tax @ red + 0.3


async def test_bad_inputs_answer_422_with_the_field(local_runner: Start) -> None:
    runner = await local_runner(TextEmbeddingApp)
    cases = [
        {},
        {"input": ""},
        {"input": []},
        {"input": ["fine", ""]},
        {"input": ["x"] * (MAX_TEXTS + 1)},
        {"input": "x" * 20_001},
        {"input": 42},
    ]
    [info] = describe(TextEmbeddingApp).endpoints
    for payload in cases:
        result = await runner.call("/", payload)
        assert result.status == 422, (payload, result.body)
        assert result.body["detail"][0]["loc"][:2] == ["body", "input"], payload
        # The API side refuses the same payloads from the stored schema alone.
        with pytest.raises(RequestValidationFailed):
            check_payload(info.input_schema, payload)


def test_schema_documents_the_input_and_output() -> None:
    [info] = describe(TextEmbeddingApp).endpoints
    assert "list of up to 256 texts" in info.input_schema["properties"]["input"]["description"]
    output = info.output_schema["properties"]
    assert set(output) == {"embeddings", "model", "dimensions", "usage"}
    assert "cosine" in output["embeddings"]["description"]
