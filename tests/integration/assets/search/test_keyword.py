"""The keyword leg's early-stopping walks answer exactly what scoring every match would,
on both databases: whole tokens before prefixes, newer before older, within the scope;
and on PostgreSQL every search statement is planned for its own words, without parallel
workers."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from impasto.assets.search import browse
from impasto.assets.search.browse import AssetQuery
from impasto.assets.search.keyword import KeywordLeg, search_text
from impasto.assets.search.legs import LegResult, Scope, SearchInput
from impasto.container import Container
from impasto.kit.search_text import query_terms
from impasto.models import Account, Asset

WORDS = ["cat", "cats", "car", "dog", "do", "red", "redwood", "sky"]
QUERIES = ["cat", "ca", "cat dog", "do", "red car", "re do", "redwood", "c d s", "sky", "zebra"]


def fill(container: Container) -> list[dict[str, object]]:
    """700 assets of two owners, titles drawn from words that prefix one another."""
    rng = random.Random(3)  # noqa: S311  - reproducible data, not secrets
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = []
    for i in range(700):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
        rows.append(
            {
                "id": i + 1,
                "asset_id": str(uuid.UUID(int=i + 1)),
                "owner": "acme" if i % 7 else "other",
                "source": "upload",
                "media_type": "video" if i % 3 == 0 else "image",
                "file_name": f"{i}.png",
                "title": title,
                "search_text": search_text(title, None, f"{i}.png"),
                # Not in key order: ties go to the larger key, whatever the clock said.
                "created_at": now - timedelta(seconds=rng.randint(0, 10_000)),
                "updated_at": now,
            }
        )
    with container.database.session(write=True) as session:
        session.execute(
            insert(Account), [{"name": n, "created_at": now} for n in ("acme", "other")]
        )
        session.execute(insert(Asset), rows)
    return rows


def expected(rows: list[dict[str, object]], q: str, owner: str, media: str | None) -> list[int]:
    """Every match scored, then sorted: the definition the walks must meet."""
    scored = []
    for row in rows:
        if row["owner"] != owner or (media and row["media_type"] != media):
            continue
        tokens = str(row["search_text"]).split()
        scores = [
            2 if t in tokens else int(any(w.startswith(t) for w in tokens)) for t in query_terms(q)
        ]
        if all(scores):
            scored.append((sum(scores), int(str(row["id"]))))
    return [pk for _, pk in sorted(scored, reverse=True)]


@pytest.mark.parametrize("chunk", [7, 256])
def test_walks_rank_like_scoring_every_match(container: Container, chunk: int) -> None:
    rows = fill(container)
    leg = KeywordLeg(first_chunk=chunk)
    checked = 0
    with container.database.session(write=False) as session:
        for q in QUERIES:
            for media in (None, "video"):
                filters = [Asset.__table__.c.media_type == media] if media else []
                want = expected(rows, q, "acme", media)
                for limit in (1, 5, 40, 1000):
                    result = leg.search(session, Scope("acme", filters), SearchInput(text=q), limit)
                    assert [hit.asset_pk for hit in result.hits] == want[:limit], (q, media, limit)
                    assert result.truncated == (len(want) > limit)
                    checked += bool(want)
    assert checked > 50  # most queries match something: the comparison is not vacuous
    with container.database.session(write=False) as session:
        theirs = leg.search(session, Scope("other"), SearchInput(text="cat"), 1000)
    assert {h.asset_pk for h in theirs.hits} == set(expected(rows, "cat", "other", None))


class _SettingsProbe:
    """A leg that reads, inside the search's transaction, how PostgreSQL will plan."""

    name = "probe"
    weight = 1.0

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def accepts(self, query: SearchInput) -> bool:
        return True

    def prepare(self, query: SearchInput) -> None:
        return None

    def search(self, session: Session, scope: Scope, query: SearchInput, limit: int) -> LegResult:
        self.seen.append(_planning(session))
        return LegResult([])


def _planning(session: Session) -> tuple[str, str]:
    row = session.execute(
        text(
            "SELECT current_setting('plan_cache_mode'),"
            " current_setting('max_parallel_workers_per_gather')"
        )
    ).one()
    return str(row[0]), str(row[1])


def test_a_search_plans_each_statement_without_parallel_workers(container: Container) -> None:
    if container.database.dialect != "postgresql":
        pytest.skip("SQLite caches no generic plans and has no parallel query")
    probe = _SettingsProbe()
    with container.database.session(write=False) as session:
        default = _planning(session)
        query, search = AssetQuery(owner="acme", q="cat"), SearchInput(text="cat")
        browse.search(session, query, search, [probe], cursors=container.cursors)
    assert default == ("auto", "2")  # the server's own settings differ: the check can fail
    assert probe.seen == [("force_custom_plan", "0")]
    with container.database.session(write=False) as session:
        assert _planning(session) == default  # for that transaction only
