"""The keyword leg: FTS5 (SQLite) or a GIN tsvector index (PostgreSQL) narrows candidates,
then one score formula, identical on both databases, ranks them.

Each query term must be a token prefix of the asset's search text (title, prompt, file
name, tag names); a whole-token hit scores 2, a prefix hit 1. Ties go to the newer asset.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, case, func, literal, text
from sqlalchemy.orm import Session

from impasto.assets.legs import LegHit, LegResult, Scope, SearchInput
from impasto.catalog.tokens import padded, query_terms
from impasto.models import Asset

ASSETS = Asset.__table__


def search_text(
    title: str, prompt: str | None, file_name: str, tag_names: Sequence[str] = ()
) -> str:
    """What the keyword leg indexes for one asset."""
    return padded(title, prompt or "", file_name, *tag_names)


def _contains(dialect: str, needle: str) -> ColumnElement[bool]:
    finder = func.strpos if dialect == "postgresql" else func.instr
    result: ColumnElement[bool] = finder(ASSETS.c.search_text, literal(needle)) > 0
    return result


def _candidates(dialect: str, terms: Sequence[str]) -> ColumnElement[bool] | None:
    if dialect == "postgresql":
        # Non-ASCII tokens depend on the server's text parser; the substring tests decide.
        ascii_terms = [term for term in terms if term.isascii()]
        if not ascii_terms:
            return None
        return text(  # type: ignore[return-value]  # a boolean SQL fragment
            "to_tsvector('simple'::regconfig, search_text) "
            "@@ to_tsquery('simple'::regconfig, :assets_tsquery)"
        ).bindparams(assets_tsquery=" & ".join(f"{term}:*" for term in ascii_terms))
    match = " AND ".join(f'"{term}"*' for term in terms)
    fts = text("SELECT rowid FROM assets_fts WHERE assets_fts MATCH :assets_match")
    return ASSETS.c.id.in_(fts.bindparams(assets_match=match).columns(ASSETS.c.id.label("rowid")))


class KeywordLeg:
    name = "keyword"

    def __init__(self, weight: float = 0.4) -> None:
        self.weight = weight

    def accepts(self, query: SearchInput) -> bool:
        return bool(query.text and query_terms(query.text))

    def search(self, session: Session, scope: Scope, query: SearchInput, limit: int) -> LegResult:
        terms = query_terms(query.text or "")
        if not terms:
            return LegResult([])
        dialect = session.get_bind().dialect.name
        conditions: list[ColumnElement[bool]] = []
        candidates = _candidates(dialect, terms)
        if candidates is not None:
            conditions.append(candidates)
        scores = [
            case((_contains(dialect, f" {t} "), 2), (_contains(dialect, f" {t}"), 1), else_=0)
            for t in terms
        ]
        conditions.extend(score > 0 for score in scores)
        total: ColumnElement[int] = sum(scores[1:], scores[0])
        # The scope's own select, narrowed: ``id IN (scope)`` made SQLite list the whole
        # scope first (~100 ms at 100k assets).
        rows = session.execute(
            scope.assets.where(*conditions)
            .order_by(total.desc(), ASSETS.c.created_at.desc(), ASSETS.c.id.desc())
            .limit(limit + 1)
        ).scalars()
        pks = list(rows)
        return LegResult([LegHit(pk) for pk in pks[:limit]], truncated=len(pks) > limit)
