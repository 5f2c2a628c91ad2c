"""Weighted reciprocal rank fusion and the exact vector leg, with a tiny embedder."""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from impasto.assets.ingest.runs import file_refs, prompt_of
from impasto.assets.ingest.uploads import mentions
from impasto.assets.media import media_type_for
from impasto.assets.search.browse import search_depth
from impasto.assets.search.exact import ExactVectorLeg
from impasto.assets.search.legs import LegHit, LegResult, Scope, SearchInput, fuse, run_legs


class LetterEmbedder:
    """Counts of a, b and c for text, (width, height, 1) for images: nearness on purpose."""

    space = "letters"
    dimensions = 3

    def embed_texts(self, texts: Sequence[str]) -> NDArray[Any]:
        return np.array([[t.count("a"), t.count("b"), t.count("c")] for t in texts], "float32")

    def embed_images(self, images: Sequence[bytes]) -> NDArray[Any] | None:
        sizes = [Image.open(io.BytesIO(data)).size for data in images]
        return np.array([[w, h, 1] for w, h in sizes], "float32")


def test_fusion_rewards_agreement_and_weights() -> None:
    keyword = LegResult([LegHit(1), LegHit(2), LegHit(3)])
    vector = LegResult([LegHit(3, 0.9), LegHit(2, 0.5)])
    fused = fuse([(0.4, keyword), (0.6, vector)])
    assert [f.asset_pk for f in fused] == [3, 2, 1]
    assert fused[0].similarity == 0.9
    assert fused[2].similarity is None
    # Keyword alone: its order is kept.
    assert [f.asset_pk for f in fuse([(0.4, keyword)])] == [1, 2, 3]


def test_vector_leg_query_and_visual_input() -> None:
    leg = ExactVectorLeg(LetterEmbedder())
    target = leg.query_vector(SearchInput(text="aab"))
    assert target is not None
    assert np.isclose(np.linalg.norm(target), 1.0)
    assert leg.accepts(SearchInput(stored={"letters": [[1.0, 0.0, 0.0]]}))
    assert not leg.accepts(SearchInput(stored={"other": [[1.0]]}))
    frames = leg.query_vector(SearchInput(stored={"letters": [[1, 0, 0], [0, 1, 0]]}))
    assert frames is not None
    assert np.allclose(frames, np.array([1, 1, 0]) / np.sqrt(2))


class CountingLetters(LetterEmbedder):
    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed_texts(self, texts: Sequence[str]) -> NDArray[Any]:
        self.texts += texts
        return super().embed_texts(texts)


def test_a_query_text_is_embedded_once() -> None:
    embedder = CountingLetters()
    leg = ExactVectorLeg(embedder)
    first = leg.query_vector(SearchInput(text="aab"))
    again = leg.query_vector(SearchInput(text="aab"))
    other = leg.query_vector(SearchInput(text="abc"))
    assert embedder.texts == ["aab", "abc"]
    assert first is again
    assert other is not None
    assert not first.flags.writeable  # shared between searches, so never changed in place


def test_a_prepared_text_is_not_embedded_again_by_the_search() -> None:
    embedder = CountingLetters()
    leg = ExactVectorLeg(embedder)
    leg.prepare(SearchInput(text="aab"))
    leg.prepare(SearchInput(images=(b"not decoded",)))  # only texts are prepared ahead
    assert leg.query_vector(SearchInput(text="aab")) is not None
    assert embedder.texts == ["aab"]


class Overlapping:
    """A leg whose search waits to see the next leg's prepare, which only runs on time when
    it runs beside this search rather than after it."""

    def __init__(self, name: str, seen: threading.Event) -> None:
        self.name = name
        self.weight = 0.5
        self.seen = seen
        self.saw_it = False

    def accepts(self, query: SearchInput) -> bool:
        return True

    def prepare(self, query: SearchInput) -> None:
        if self.name == "second":
            self.seen.set()

    def search(self, session: Any, scope: Scope, query: SearchInput, limit: int) -> LegResult:
        if self.name == "first":
            self.saw_it = self.seen.wait(timeout=30)
        return LegResult([LegHit(1 if self.name == "first" else 2)])


def test_legs_prepare_beside_the_searches_of_the_legs_before_them() -> None:
    seen = threading.Event()
    first, second = Overlapping("first", seen), Overlapping("second", seen)
    results = run_legs(None, Scope("alice"), SearchInput(text="x"), [first, second], 10)  # type: ignore[arg-type]
    assert first.saw_it
    assert [result.hits[0].asset_pk for _, result in results] == [1, 2]


class Recording(Overlapping):
    def prepare(self, query: SearchInput) -> None:
        self.prepared_on = threading.current_thread()


def test_a_prepare_still_queued_behind_other_searches_runs_on_the_searching_thread() -> None:
    busy = ThreadPoolExecutor(1)
    release = threading.Event()
    busy.submit(release.wait)  # the pool's one worker is taken by another search
    leg = Recording("alone", threading.Event())
    try:
        run_legs(None, Scope("alice"), SearchInput(text="x"), [leg], 10, preparer=busy)  # type: ignore[arg-type]
    finally:
        release.set()
        busy.shutdown()
    assert leg.prepared_on is threading.current_thread()


def test_file_refs_prompts_mentions_and_media_types() -> None:
    url = "http://h/files/b/abc/x.png"
    payload = {"images": [{"url": url, "width": 4}], "ref": url, "other": "text"}
    refs = list(file_refs(payload))
    assert [r.url for r in refs] == [url, url]
    assert refs[0].width == 4
    assert prompt_of({"negative_prompt": "no", "text_prompt": "yes"}) == "yes"
    assert mentions("@Alice meets @bob. and @alice, mail a@b.c") == ["alice", "bob"]
    assert media_type_for("image/png") == "image"
    assert media_type_for("application/octet-stream", "mesh.glb") == "3d"
    assert media_type_for("application/json") is None


def test_search_depth_is_a_fixed_tier() -> None:
    assert [search_depth(n) for n in (1, 50, 100, 101, 1000, 1100)] == [
        100,
        100,
        100,
        1000,
        1000,
        1000,
    ]
