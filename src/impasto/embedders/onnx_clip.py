"""CLIP or SigLIP as ONNX, from a directory the operator fills (nothing is downloaded).

The layout is Immich's ONNX exports (``immich-app/ViT-B-32__openai`` and friends), so those
can be copied in as they are::

    <dir>/config.json                 open_clip config: text_cfg.context_length, embed_dim
    <dir>/visual/model.onnx           pixels (n, 3, size, size) float32 -> (n, d)
    <dir>/visual/preprocess_cfg.json  size, mean, std (CLIP's when absent)
    <dir>/textual/model.onnx          token ids (n, context_length) -> (n, d)
    <dir>/textual/tokenizer.json      a Hugging Face ``tokenizers`` file

The space is named after the directory and a fingerprint of its files, so swapping the
model starts a new space instead of mixing its vectors with the old one's.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

from impasto.embedders.base import (
    EmbedderUnavailable,
    InvalidMedia,
    Vectors,
    check_images,
    check_texts,
    normalise,
)

_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
_FILES = ("visual/model.onnx", "textual/model.onnx", "textual/tokenizer.json")


def clip_model_present(model_dir: Path) -> bool:
    return all((model_dir / name).is_file() for name in _FILES)


def _fingerprint(model_dir: Path) -> str:
    # Sizes, config and the first MiB of each file: cheap on a 600 MB model, and any real
    # export swap changes it.
    digest = hashlib.sha256()
    for name in (*_FILES, "config.json", "visual/preprocess_cfg.json"):
        path = model_dir / name
        if path.is_file():
            digest.update(f"{name}:{path.stat().st_size}:".encode())
            with path.open("rb") as handle:
                digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:12]


class OnnxClipEmbedder:
    def __init__(self, model_dir: Path, *, threads: int = 0) -> None:
        self._dir = model_dir
        self._threads = threads
        self._lock = threading.Lock()
        self._loaded: dict[str, Any] | None = None
        config = self._json("config.json")
        # Older exports lack embed_dim: then the first embedding tells.
        self.dimensions = int(config.get("embed_dim", 0))
        self._context = int(config.get("text_cfg", {}).get("context_length", 77))
        present = clip_model_present(model_dir)
        tag = _fingerprint(model_dir) if present else "missing"
        self.space = f"clip-{model_dir.name}@{tag}"

    def available(self) -> bool:
        return self.problem() is None

    def problem(self) -> str | None:
        """Why the model cannot load here, or ``None`` when it can."""
        if not clip_model_present(self._dir):
            return f"no CLIP model at {self._dir} (needs {', '.join(_FILES)})"
        if find_spec("onnxruntime") is None:
            return "onnxruntime is not installed"
        return None

    def embed_texts(self, texts: Sequence[str]) -> Vectors:
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, self.dimensions), np.float32)
        tokenizer = self._model()["tokenizer"]
        return self._embed_tokens([e.ids for e in tokenizer.encode_batch(texts)])

    def embed_images(self, images: Sequence[bytes]) -> Vectors:
        images = check_images(images)
        if not images:
            return np.zeros((0, self.dimensions), np.float32)
        model = self._model()
        pixels = np.stack([self._pixels(image, model["preprocess"]) for image in images])
        session = model["visual"]
        name = session.get_inputs()[0].name
        with self._lock:
            out = session.run(None, {name: pixels})[0]
        self.dimensions = int(out.shape[1])
        return normalise(out)

    def _embed_tokens(self, ids: list[list[int]]) -> Vectors:
        session = self._model()["textual"]
        spec = session.get_inputs()[0]
        tokens = np.zeros((len(ids), self._context), dtype=np.int64)
        for row, sequence in enumerate(ids):
            kept = sequence[: self._context]
            tokens[row, : len(kept)] = kept
        if "int32" in spec.type:
            tokens = tokens.astype(np.int32)
        with self._lock:
            out = session.run(None, {spec.name: tokens})[0]
        self.dimensions = int(out.shape[1])
        return normalise(out)

    def _pixels(self, image: bytes, preprocess: dict[str, Any]) -> Vectors:
        import io

        from PIL import Image, UnidentifiedImageError

        size = preprocess["size"]
        try:
            with Image.open(io.BytesIO(image)) as picture:
                rgb = picture.convert("RGB")
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise InvalidMedia(f"not a readable image: {exc}") from exc
        # CLIP's preprocessing: shortest side to size, then the centre square.
        scale = size / min(rgb.size)
        width, height = max(size, round(rgb.width * scale)), max(size, round(rgb.height * scale))
        rgb = rgb.resize((width, height), Image.Resampling.BICUBIC)
        left, top = (width - size) // 2, (height - size) // 2
        rgb = rgb.crop((left, top, left + size, top + size))
        array = np.asarray(rgb, dtype=np.float32) / 255.0
        array = (array - preprocess["mean"]) / preprocess["std"]
        return np.ascontiguousarray(array.transpose(2, 0, 1), dtype=np.float32)

    def _model(self) -> dict[str, Any]:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> dict[str, Any]:
        if problem := self.problem():
            raise EmbedderUnavailable(problem)
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self._threads
        providers = ["CPUExecutionProvider"]

        def session(name: str) -> Any:
            return onnxruntime.InferenceSession(str(self._dir / name), options, providers=providers)

        raw = self._json("visual/preprocess_cfg.json")
        size = raw.get("size", 224)
        preprocess = {
            "size": int(size[0] if isinstance(size, list) else size),
            "mean": np.asarray(raw.get("mean", _CLIP_MEAN), dtype=np.float32),
            "std": np.asarray(raw.get("std", _CLIP_STD), dtype=np.float32),
        }
        tokenizer = Tokenizer.from_file(str(self._dir / "textual/tokenizer.json"))
        tokenizer.enable_truncation(max_length=self._context)
        return {
            "visual": session("visual/model.onnx"),
            "textual": session("textual/model.onnx"),
            "tokenizer": tokenizer,
            "preprocess": preprocess,
        }

    def _json(self, name: str) -> dict[str, Any]:
        path = self._dir / name
        if not path.is_file():
            return {}
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise EmbedderUnavailable(f"{path} is not valid JSON") from exc
        return loaded if isinstance(loaded, dict) else {}
