"""The operator's CLIP path, on a two-tower model this test builds (8x8 pixels, 6 words)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from impasto.embedders.base import EmbedderUnavailable, InvalidMedia
from impasto.embedders.onnx_clip import OnnxClipEmbedder
from impasto.embedders.registry import build_registry

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

VOCAB = {"[PAD]": 0, "[UNK]": 1, "red": 2, "fox": 3, "blue": 4, "whale": 5}
DIMS = 4


def _save(graph: object, path: Path) -> None:
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # what every onnxruntime of the last years reads
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def build_tiny_clip(directory: Path, seed: int = 0) -> Path:
    from onnx import TensorProto, helper, numpy_helper
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    rng = np.random.default_rng(seed)
    projection = numpy_helper.from_array(rng.standard_normal((192, DIMS)).astype(np.float32), "w")
    visual = helper.make_graph(
        [
            helper.make_node("Flatten", ["pixel_values"], ["flat"], axis=1),
            helper.make_node("MatMul", ["flat", "w"], ["image_embeds"]),
        ],
        "visual",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["n", 3, 8, 8])],
        [helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["n", DIMS])],
        [projection],
    )
    table = numpy_helper.from_array(
        rng.standard_normal((len(VOCAB), DIMS)).astype(np.float32), "table"
    )
    textual = helper.make_graph(
        [
            helper.make_node("Gather", ["table", "input_ids"], ["tokens"]),
            helper.make_node("ReduceMean", ["tokens"], ["text_embeds"], axes=[1], keepdims=0),
        ],
        "textual",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["n", "l"])],
        [helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, ["n", DIMS])],
        [table],
    )
    _save(visual, directory / "visual" / "model.onnx")
    _save(textual, directory / "textual" / "model.onnx")
    tokenizer = Tokenizer(WordLevel(VOCAB, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    tokenizer.save(str(directory / "textual" / "tokenizer.json"))
    config = {"embed_dim": DIMS, "text_cfg": {"context_length": 6}}
    (directory / "config.json").write_text(json.dumps(config))
    preprocess = {"size": [8, 8], "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}
    (directory / "visual" / "preprocess_cfg.json").write_text(json.dumps(preprocess))
    return directory


def _png(colour: str, size: tuple[int, int] = (16, 12)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_embeds_texts_and_images_in_one_space(tmp_path: Path) -> None:
    embedder = OnnxClipEmbedder(build_tiny_clip(tmp_path / "clip"))
    assert embedder.available()
    assert embedder.space.startswith("clip-clip@")
    assert embedder.dimensions == DIMS
    texts = embedder.embed_texts(["red fox", "red fox", "blue whale"])
    assert texts.shape == (3, DIMS)
    assert np.linalg.norm(texts, axis=1) == pytest.approx(1.0, abs=1e-6)
    assert texts[0] @ texts[1] == pytest.approx(1.0, abs=1e-6)
    images = embedder.embed_images([_png("red"), _png("red", (40, 20)), _png("blue")])
    assert images.shape == (3, DIMS)
    assert images[0] @ images[1] == pytest.approx(1.0, abs=1e-5)  # centre crop of one colour
    assert images[0] @ images[2] < 0.99
    with pytest.raises(InvalidMedia):
        embedder.embed_images([b"nope"])


def test_another_model_is_another_space(tmp_path: Path) -> None:
    first = OnnxClipEmbedder(build_tiny_clip(tmp_path / "a" / "clip", seed=0))
    second = OnnxClipEmbedder(build_tiny_clip(tmp_path / "b" / "clip", seed=1))
    assert first.space != second.space
    assert first.space == OnnxClipEmbedder(tmp_path / "a" / "clip").space


def test_missing_model_is_unavailable(tmp_path: Path) -> None:
    embedder = OnnxClipEmbedder(tmp_path / "clip")
    assert not embedder.available()
    with pytest.raises(EmbedderUnavailable):
        embedder.embed_texts(["red"])


def test_registry_runs_clip_only_when_the_operator_provides_one(tmp_path: Path) -> None:
    assert build_registry(["clip", "hash"], models_dir=None, cache_dir=tmp_path).spaces == [
        "hash@1"
    ]
    assert build_registry(["clip"], models_dir=tmp_path, cache_dir=tmp_path).spaces == []
    build_tiny_clip(tmp_path / "clip")
    registry = build_registry(["clip"], models_dir=tmp_path, cache_dir=tmp_path)
    (space,) = registry.spaces
    embedder = registry.get(space)
    assert embedder is not None
    assert embedder.embed_texts(["fox"]) is not None
