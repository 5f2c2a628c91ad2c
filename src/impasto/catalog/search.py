"""The ranked search query: one relevance formula, evaluated the same way on both databases.

The full-text index only narrows candidates (every query term is a token prefix somewhere:
FTS5 ``"t"*`` on SQLite, ``t:*`` against a GIN tsvector index on PostgreSQL). Relevance is
then computed from field-weighted substring tests on the normalised columns, which give the
same numbers on both databases, so the same data ranks the same way; ``bm25`` and
``ts_rank`` would not (``docs/architecture/catalog-search.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    text,
)

from impasto.catalog.keyset import order_by, sort_after
from impasto.models import CatalogEntry

ENTRIES = CatalogEntry.__table__
# (column, exact-token weight, token-prefix weight), best first: CASE picks the first hit,
# so a term scores its best field.
FIELD_WEIGHTS = (
    (ENTRIES.c.search_name, 12, 10),
    (ENTRIES.c.search_id, 9, 8),
    (ENTRIES.c.search_tags, 7, 6),
    (ENTRIES.c.search_category, 5, 4),
    (ENTRIES.c.search_description, 2, 1),
)
PHRASE_BONUS = 6
PG_DOCUMENT = "search_name || search_id || search_tags || search_category || search_description"


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What to search; ``after`` is the sort key of the last row already returned."""

    viewer: str | None
    terms: Sequence[str] = ()
    category: str | None = None
    status: str | None = None
    endpoint_ids: Sequence[str] | None = None
    limit: int = 50
    after: Sequence[Any] | None = None
    extra: Sequence[ColumnElement[bool]] = field(default_factory=tuple)


def _contains(dialect: str, column: Any, needle: str) -> ColumnElement[bool]:
    finder = func.strpos if dialect == "postgresql" else func.instr
    result: ColumnElement[bool] = finder(column, literal(needle)) > 0
    return result


def _term_score(dialect: str, term: str) -> ColumnElement[int]:
    whens: list[tuple[ColumnElement[bool], int]] = []
    for column, exact, prefix in FIELD_WEIGHTS:
        whens.append((_contains(dialect, column, f" {term} "), exact))
        whens.append((_contains(dialect, column, f" {term}"), prefix))
    whens.sort(key=lambda pair: -pair[1])
    return case(*whens, else_=0)


def low_field_ceiling(n_terms: int) -> int:
    """The best score a row can reach when some term hits only category or description:
    every other term at most a whole name word, no phrase bonus (that needs all terms in
    the name). Rows scoring above it all hit name, id or tags with every term."""
    best = FIELD_WEIGHTS[0][1]
    low = max(FIELD_WEIGHTS[3][1], FIELD_WEIGHTS[4][1])
    return best * (n_terms - 1) + low


def _candidates(
    dialect: str, terms: Sequence[str], high_only: bool = False
) -> ColumnElement[bool] | None:
    if dialect == "postgresql":
        # Non-ASCII tokens depend on the server's locale in the text parser; leave them to
        # the substring tests rather than risk missing rows.
        ascii_terms = [term for term in terms if term.isascii()]
        if not ascii_terms:
            return None
        tsquery = " & ".join(f"{term}:*" for term in ascii_terms)
        return text(  # type: ignore[return-value]  # a boolean SQL fragment
            f"to_tsvector('simple'::regconfig, {PG_DOCUMENT}) "
            "@@ to_tsquery('simple'::regconfig, :catalog_tsquery)"
        ).bindparams(catalog_tsquery=tsquery)
    match = " AND ".join(f'"{term}"*' for term in terms)
    if high_only:
        match = f"{{search_name search_id search_tags}} : ({match})"
    fts = text("SELECT rowid FROM catalog_fts WHERE catalog_fts MATCH :catalog_match")
    return ENTRIES.c.id.in_(
        fts.bindparams(catalog_match=match).columns(ENTRIES.c.id.label("rowid"))
    )


def visibility(query: SearchQuery) -> ColumnElement[bool]:
    """Public entries plus the viewer's private ones; unlisted ones only when named by id."""
    c = ENTRIES.c
    if query.endpoint_ids is not None:
        shared = c.privacy.in_(("public", "unlisted"))
        return or_(shared, c.owner == query.viewer) if query.viewer else shared
    public = c.privacy == "public"
    if query.viewer is None:
        return public
    return or_(public, and_(c.owner == query.viewer, c.privacy == "private"))


def ranked_ids(dialect: str, query: SearchQuery, *, high_only: bool = False) -> Select[Any]:
    """``SELECT id, score, pinned, highlighted, request_count, endpoint_id`` in result order.

    This is the whole cost of a search; loading the rows afterwards is a primary-key read.
    With ``high_only`` (SQLite) only rows above :func:`low_field_ceiling` are considered,
    found through the index's name/id/tags columns alone: the head of the same order, at a
    fraction of the cost when a word is common in descriptions or categories.
    """
    c = ENTRIES.c
    conditions: list[ColumnElement[bool]] = [visibility(query), *query.extra]
    if query.category is not None:
        conditions.append(c.category == query.category)
    if query.status is not None:
        conditions.append(c.status == query.status)
    if query.endpoint_ids is not None:
        conditions.append(c.endpoint_id.in_(list(query.endpoint_ids)))
    terms = list(query.terms)
    if terms:
        candidates = _candidates(dialect, terms, high_only)
        if candidates is not None:
            conditions.append(candidates)
        term_scores = [_term_score(dialect, term) for term in terms]
        # Every term must hit some field (the index may return a superset).
        conditions.extend(score > 0 for score in term_scores)
        score: ColumnElement[int] = sum(term_scores[1:], term_scores[0])
        if len(terms) > 1:
            phrase = " " + " ".join(terms)
            score = score + case((_contains(dialect, c.search_name, phrase), PHRASE_BONUS), else_=0)
        if high_only:
            conditions.append(score > low_field_ceiling(len(terms)))
    else:
        score = literal(0, Integer)
    inner = (
        select(
            c.id,
            score.label("score"),
            c.pinned,
            c.highlighted,
            c.request_count,
            c.endpoint_id,
        )
        .where(*conditions)
        .subquery("ranked")
    )
    r = inner.c
    keys: list[tuple[ColumnElement[Any], bool]] = [
        (r.score, True),
        (r.pinned, True),
        (r.highlighted, True),
        (r.request_count, True),
        (r.endpoint_id, False),
    ]
    if not terms:
        keys = keys[1:]  # constant score: leave it out so the list-order index applies
    statement = select(r.id, r.score, r.pinned, r.highlighted, r.request_count, r.endpoint_id)
    if query.after is not None:
        position = list(query.after) if terms else list(query.after)[1:]
        statement = statement.where(sort_after(keys, position))
    return statement.order_by(*order_by(keys)).limit(query.limit)
