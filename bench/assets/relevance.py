"""Relevance of the offline embedders on pictures scikit-image ships.

    python -m bench.assets.relevance [--models-dir DIR] [--embedders label-minilm,effnet-pool]

Text→image: each query names what one picture shows; the hit is that picture, among all
the pictures. Image→image: each picture, altered (mirrored, cropped to 85%, shrunk, re-saved
as JPEG at quality 60), is the query; the hit is the original. The stereo pair
``motorcycle_left``/``motorcycle_right`` adds a "same scene, other viewpoint" query.
Prints recall@1 and recall@5 per embedder and per kind of query, and every miss.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from impasto.embedders.base import Embedder
from impasto.embedders.registry import build_registry

# picture in skimage.data -> the query a person would type for it
TEXT_QUERIES = {
    "chelsea": "a cat",
    "coffee": "a cup of coffee",
    "rocket": "a rocket on the launch pad",
    "astronaut": "an astronaut",
    "camera": "a photographer with a camera on a tripod",
    "coins": "old coins",
    "moon": "the surface of the moon",
    "horse": "a horse",
    "hubble_deep_field": "galaxies in deep space",
    "clock": "a wall clock",
    "motorcycle_left": "a motorcycle",
    "page": "a page of printed text",
    "brick": "a brick wall",
    "grass": "grass",
    "gravel": "gravel",
    "retina": "a scan of the retina of an eye",
    "immunohistochemistry": "cells under a microscope",
    "checkerboard": "a chessboard pattern",
}
PAIRS = {"motorcycle_right": "motorcycle_left"}  # image query -> expected picture


@dataclass
class Score:
    hits1: int = 0
    hits5: int = 0
    total: int = 0

    def add(self, rank: int) -> None:
        self.total += 1
        self.hits1 += rank == 0
        self.hits5 += rank < 5

    def __str__(self) -> str:
        if not self.total:
            return "n/a"
        return f"R@1 {self.hits1 / self.total:.2f}  R@5 {self.hits5 / self.total:.2f}"


def _encode(array: np.ndarray, fmt: str = "PNG", quality: int = 95) -> bytes:
    image = Image.fromarray(array)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format=fmt, quality=quality)
    return buffer.getvalue()


def pictures() -> dict[str, bytes]:
    from skimage import data

    left, right, _ = data.stereo_motorcycle()
    stereo = {"motorcycle_left": left, "motorcycle_right": right}
    return {
        name: _encode(stereo[name] if name in stereo else getattr(data, name)())
        for name in [*TEXT_QUERIES, *PAIRS]
    }


def altered(image: bytes) -> bytes:
    with Image.open(io.BytesIO(image)) as picture:
        rgb = ImageOps.mirror(picture.convert("RGB"))
    w, h = rgb.size
    rgb = rgb.crop((int(w * 0.1), int(h * 0.05), int(w * 0.95), int(h * 0.9)))
    rgb = rgb.resize((max(32, w // 2), max(32, h // 2)))
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG", quality=60)
    return buffer.getvalue()


def evaluate(embedder: Embedder, corpus: dict[str, bytes]) -> tuple[Score, Score, list[str]]:
    names = [n for n in corpus if n not in PAIRS]
    vectors = embedder.embed_images([corpus[n] for n in names])
    assert vectors is not None
    misses: list[str] = []
    text_score, image_score = Score(), Score()

    def rank_of(query: np.ndarray, expected: str) -> tuple[int, str]:
        order = np.argsort(-(vectors @ query), kind="stable")
        ranked = [names[i] for i in order]
        return ranked.index(expected), ranked[0]

    queries = embedder.embed_texts([TEXT_QUERIES[n] for n in names])
    if queries is not None:
        for name, query in zip(names, queries, strict=True):
            rank, top = rank_of(query, name)
            text_score.add(rank)
            if rank:
                misses.append(f"text {TEXT_QUERIES[name]!r}: {name} at {rank + 1}, top {top}")
    image_queries = [(altered(corpus[n]), n) for n in names] + [
        (corpus[q], expected) for q, expected in PAIRS.items()
    ]
    embedded = embedder.embed_images([image for image, _ in image_queries])
    assert embedded is not None
    for (_, expected), query in zip(image_queries, embedded, strict=True):
        rank, top = rank_of(query, expected)
        image_score.add(rank)
        if rank:
            misses.append(f"image {expected}: at {rank + 1}, top {top}")
    return text_score, image_score, misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedders", default="hash,label-minilm,effnet-pool,clip")
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--cache-dir", type=Path, default=Path(".impasto/cache/embedders"))
    args = parser.parse_args(argv)
    corpus = pictures()
    registry = build_registry(
        args.embedders.split(","), models_dir=args.models_dir, cache_dir=args.cache_dir
    )
    print(
        f"{len(corpus) - len(PAIRS)} pictures, {len(TEXT_QUERIES)} text queries, "
        f"{len(corpus)} image queries"
    )
    print(f"{'embedder space':<24} {'text->image':<20} {'image->image':<20} seconds")
    for embedder in registry:
        started = time.perf_counter()
        text_score, image_score, misses = evaluate(embedder, corpus)
        elapsed = time.perf_counter() - started
        print(f"{embedder.space:<24} {text_score!s:<20} {image_score!s:<20} {elapsed:.1f}")
        for miss in misses:
            print(f"    miss: {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
