"""The keyword leg: every query term must be a token prefix of the asset's search text
(title, prompt, file name, tag names); a whole-token hit scores 2, a prefix hit 1, and ties
go to the newer asset (the larger key). One score formula, identical on both databases,
decides; the full-text indexes (FTS5 on SQLite, a GIN tsvector index on PostgreSQL) only
find candidates.

The ranking is read newest first in two walks, so a common word costs about a page rather
than every asset it matches:

1. assets where every term is a whole token (the best score), until one more than asked;
2. when those are too few, every match, until enough assets with the next score down are
   seen (nothing older can outrank them) or the matches run out.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence

from sqlalchemy import ColumnElement, TextClause, case, func, literal, text
from sqlalchemy.orm import Session

from impasto.assets.search.legs import LegHit, LegResult, Scope, SearchInput
from impasto.kit.search_text import padded, query_terms, tsquery
from impasto.models import Asset

ASSETS = Asset.__table__.c
FIRST_CHUNK = 256
MAX_CHUNK = 8192
_FTS = (
    "SELECT rowid FROM assets_fts WHERE assets_fts MATCH :match {}ORDER BY rowid DESC LIMIT :size"
)
_FTS_FIRST = text(_FTS.format(""))
_FTS_AFTER = text(_FTS.format("AND rowid < :before "))


def search_text(
    title: str, prompt: str | None, file_name: str, tag_names: Sequence[str] = ()
) -> str:
    """What the keyword leg indexes for one asset."""
    return padded(title, prompt or "", file_name, *tag_names)


def _contains(dialect: str, needle: str) -> ColumnElement[bool]:
    finder = func.strpos if dialect == "postgresql" else func.instr
    result: ColumnElement[bool] = finder(ASSETS.search_text, literal(needle)) > 0
    return result


class _Matches:
    """The scope's assets whose text has every term (``whole``: as a whole token), with
    their scores, newest first, read in growing chunks."""

    def __init__(
        self,
        session: Session,
        scope: Scope,
        terms: Sequence[str],
        *,
        whole: bool,
        first_chunk: int = FIRST_CHUNK,
    ):
        self.session = session
        self.scope = scope
        self.terms = terms
        self.whole = whole
        self.first_chunk = first_chunk
        self.dialect = session.get_bind().dialect.name
        tail = " " if whole else ""
        self.conditions = [_contains(self.dialect, f" {t}{tail}") for t in terms]
        scores = [
            case(
                (_contains(self.dialect, f" {t} "), 2),
                (_contains(self.dialect, f" {t}"), 1),
                else_=0,
            )
            for t in terms
        ]
        self.score: ColumnElement[int] = sum(scores[1:], scores[0])

    def __iter__(self) -> Iterator[tuple[int, int]]:
        if self.dialect == "sqlite":
            return self._through_fts()
        return self._through_table()

    def _through_fts(self) -> Iterator[tuple[int, int]]:
        """FTS5 yields candidate keys newest first; the scope and the score formula keep
        those that match."""
        star = "" if self.whole else "*"
        match = " AND ".join(f'"{term}"{star}' for term in self.terms)
        before: int | None = None
        size = self.first_chunk
        while True:
            params: dict[str, object] = {"match": match, "size": size}
            if before is not None:
                params["before"] = before
            fts = _FTS_FIRST if before is None else _FTS_AFTER
            keys = list(self.session.scalars(fts, params))
            if keys:
                statement = (
                    self.scope.among(keys)
                    .add_columns(self.score)
                    .where(*self.conditions)
                    .order_by(ASSETS.id.desc())
                )
                yield from ((pk, score) for pk, score in self.session.execute(statement))
            if len(keys) < size:
                return
            before, size = keys[-1], min(size * 4, MAX_CHUNK)

    def _through_table(self) -> Iterator[tuple[int, int]]:
        """One keyset query per chunk: PostgreSQL picks the GIN index for rare terms and a
        walk down the key index for common ones."""
        prefilter = self._tsquery()
        before: int | None = None
        size = self.first_chunk
        while True:
            statement = (
                self.scope.assets.add_columns(self.score)
                .where(*self.conditions)
                .order_by(ASSETS.id.desc())
                .limit(size)
            )
            if prefilter is not None:
                statement = statement.where(prefilter)
            if before is not None:
                statement = statement.where(ASSETS.id < before)
            rows = [(pk, score) for pk, score in self.session.execute(statement)]
            yield from rows
            if len(rows) < size:
                return
            before, size = rows[-1][0], min(size * 4, MAX_CHUNK)

    def _tsquery(self) -> TextClause | None:
        terms = tsquery(self.terms, prefix=not self.whole)
        if terms is None:
            return None
        return text(
            "to_tsvector('simple'::regconfig, search_text) "
            "@@ to_tsquery('simple'::regconfig, :assets_tsquery)"
        ).bindparams(assets_tsquery=terms)


class KeywordLeg:
    name = "keyword"

    def __init__(self, weight: float = 0.4, *, first_chunk: int = FIRST_CHUNK) -> None:
        self.weight = weight
        self.first_chunk = first_chunk  # candidates read first; each further read takes 4x

    def accepts(self, query: SearchInput) -> bool:
        return bool(query.text and query_terms(query.text))

    def prepare(self, query: SearchInput) -> None:
        return None  # all of its work is in the database

    def search(self, session: Session, scope: Scope, query: SearchInput, limit: int) -> LegResult:
        terms = query_terms(query.text or "")
        if not terms:
            return LegResult([])
        best = 2 * len(terms)
        wanted = limit + 1  # one more than asked tells whether the list was cut
        ranked: list[int] = []
        for pk, _ in _Matches(session, scope, terms, whole=True, first_chunk=self.first_chunk):
            ranked.append(pk)
            if len(ranked) == wanted:
                break
        if len(ranked) < wanted:
            ranked += _runners_up(
                _Matches(session, scope, terms, whole=False, first_chunk=self.first_chunk),
                best,
                wanted - len(ranked),
            )
        return LegResult([LegHit(pk) for pk in ranked[:limit]], truncated=len(ranked) > limit)


def _runners_up(matches: _Matches, best: int, count: int) -> list[int]:
    """The ``count`` highest-ranked matches below score ``best``, all of which the first
    walk already listed."""
    kept: list[tuple[int, int]] = []  # a min-heap of (score, key): the lowest-ranked first
    next_best = 0
    for pk, score in matches:
        if score == best:
            continue
        if len(kept) < count:
            heapq.heappush(kept, (score, pk))
        elif (score, pk) > kept[0]:
            heapq.heapreplace(kept, (score, pk))
        next_best += score == best - 1
        if next_best == count:
            break  # what is left is older, and scores no more than these
    return [pk for _, pk in sorted(kept, reverse=True)]
