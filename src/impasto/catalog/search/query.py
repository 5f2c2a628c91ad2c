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
from functools import cache
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Subquery,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)

from impasto.kit import search_text
from impasto.kit.db.keyset import order_by, sort_after
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


def term_params(terms: Sequence[str]) -> dict[str, str]:
    """The values of the score expressions' parameters: pass them to ``execute``."""
    params = {}
    for i, term in enumerate(terms):
        params[f"catalog_w{i}"] = f" {term} "  # a whole token
        params[f"catalog_p{i}"] = f" {term}"  # a token prefix
    params["catalog_phrase"] = " " + " ".join(terms)
    return params


def _contains(dialect: str, column: str, key: str) -> ColumnElement[bool]:
    # Unqualified column names: the same expression reads catalog_entries or a subquery of
    # it (walk.py), so it is built once per term count and never adapted.
    finder = func.strpos if dialect == "postgresql" else func.instr
    needle = bindparam(key, type_=String)
    result: ColumnElement[bool] = finder(literal_column(column, String), needle) > 0
    return result


@cache
def _term_score(dialect: str, i: int) -> ColumnElement[int]:
    # Nested: a column's token-prefix test first, its whole-token test only on a hit. Each
    # column's weights exceed every later column's and a whole token is also a prefix, so
    # this is the flat "first hit by weight" CASE with one test per missed column, not two.
    whens: list[tuple[ColumnElement[bool], Any]] = []
    for column, exact, prefix in FIELD_WEIGHTS:
        whole = case((_contains(dialect, column.name, f"catalog_w{i}"), exact), else_=prefix)
        whens.append((_contains(dialect, column.name, f"catalog_p{i}"), whole))
    return case(*whens, else_=0)


@cache
def hits_at_least(dialect: str, i: int, floor: int) -> ColumnElement[bool]:
    """Term ``i`` is a token prefix of some field weighing at least ``floor`` for it."""
    tests: list[ColumnElement[bool]] = []
    for column, exact, prefix in FIELD_WEIGHTS:
        if prefix >= floor:
            tests.append(_contains(dialect, column.name, f"catalog_p{i}"))
        elif exact >= floor:
            tests.append(_contains(dialect, column.name, f"catalog_w{i}"))
    return or_(*tests) if tests else literal(False)


def outscoring_match(terms: Sequence[str], floor: int) -> str | None:
    """An FTS5 query for a superset of the rows that can score more than ``floor``, or
    ``None`` when that would be every match. Rows with the phrase bonus have every term but
    the last as a whole word of the name, in order; the others need every term in a field
    worth at least ``floor + 1 - 12·(n-1)`` (each other term at most a whole name word)."""
    n = len(terms)
    need = floor + 1 - FIELD_WEIGHTS[0][1] * (n - 1)
    if need <= 1:
        return None
    parts: list[str] = []
    if n > 1:
        parts.append('{search_name} : "' + " ".join(terms[:-1]) + '"')
    if need <= FIELD_WEIGHTS[0][1]:
        groups = []
        for term in terms:
            levels = []
            for column, exact, prefix in FIELD_WEIGHTS:
                if prefix >= need:
                    levels.append(f'{{{column.name}}} : "{term}"*')
                elif exact >= need:
                    levels.append(f'{{{column.name}}} : "{term}"')
            groups.append("(" + " OR ".join(levels) + ")")
        parts.append("(" + " AND ".join(groups) + ")")
    return " OR ".join(parts) if parts else None


def low_field_ceiling(n_terms: int) -> int:
    """The best score a row can reach when some term hits only category or description:
    every other term at most a whole name word, no phrase bonus (that needs all terms in
    the name). Rows scoring above it all hit name, id or tags with every term."""
    best = FIELD_WEIGHTS[0][1]
    low = max(FIELD_WEIGHTS[3][1], FIELD_WEIGHTS[4][1])
    return best * (n_terms - 1) + low


PG_MATCH = (
    f"to_tsvector('simple'::regconfig, {PG_DOCUMENT}) "
    "@@ to_tsquery('simple'::regconfig, :catalog_tsquery)"
)


Scope = Literal["all", "high", "name_exact", "none"]


def _candidates(dialect: str, terms: Sequence[str], scope: Scope) -> ColumnElement[bool] | None:
    """The index's superset of matching rows. ``high``: every term in name, id or tags
    (SQLite only); ``name_exact``: every term but the last a whole word of the name, the
    superset of rows that can outscore a page of name hits; ``none``: no index (the caller
    narrows the rows itself)."""
    if scope == "none":
        return None
    if scope == "name_exact":
        terms = terms[:-1] if len(terms) > 1 else terms
    if dialect == "postgresql":
        tsquery = search_text.tsquery(terms, prefix=scope != "name_exact")
        if tsquery is None:
            return None
        return text(  # type: ignore[return-value]  # a boolean SQL fragment
            PG_MATCH
        ).bindparams(catalog_tsquery=tsquery)
    if scope == "name_exact":
        match = "{search_name} : (" + " AND ".join(f'"{term}"' for term in terms) + ")"
    else:
        match = " AND ".join(f'"{term}"*' for term in terms)
        if scope == "high":
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


def list_keys() -> list[tuple[ColumnElement[Any], bool]]:
    """The order of rows within one score: ``ix_catalog_entries_list_order``."""
    c = ENTRIES.c
    return [
        (c.pinned, True),
        (c.highlighted, True),
        (c.request_count, True),
        (c.endpoint_id, False),
    ]


def filters(query: SearchQuery) -> list[ColumnElement[bool]]:
    """Visibility and the exact filters, without the text terms."""
    c = ENTRIES.c
    conditions: list[ColumnElement[bool]] = [visibility(query), *query.extra]
    if query.category is not None:
        conditions.append(c.category == query.category)
    if query.status is not None:
        conditions.append(c.status == query.status)
    if query.endpoint_ids is not None:
        conditions.append(c.endpoint_id.in_(list(query.endpoint_ids)))
    return conditions


def term_scores(dialect: str, n_terms: int) -> list[ColumnElement[int]]:
    return [_term_score(dialect, i) for i in range(n_terms)]


@cache
def score_of(dialect: str, n_terms: int) -> ColumnElement[int]:
    """The relevance of ``n_terms`` terms: a template, values from :func:`term_params`.
    Built once per term count, so a search does not pay SQLAlchemy's construction of a few
    hundred nodes, and the compiled SQL is shared by every query of that length."""
    scores = term_scores(dialect, n_terms)
    score: ColumnElement[int] = sum(scores[1:], scores[0])
    if n_terms > 1:
        score = score + phrase_bonus(dialect)
    return score


@cache
def phrase_bonus(dialect: str) -> ColumnElement[int]:
    """:data:`PHRASE_BONUS` when the query's words are in order in the name."""
    phrase = _contains(dialect, ENTRIES.c.search_name.name, "catalog_phrase")
    bonus: ColumnElement[int] = case((phrase, PHRASE_BONUS), else_=0)
    return bonus


def best_score(n_terms: int) -> int:
    """The highest score ``n_terms`` terms can reach: every one a whole name word, in order."""
    return FIELD_WEIGHTS[0][1] * n_terms + (PHRASE_BONUS if n_terms > 1 else 0)


def _scored(
    dialect: str, n_terms: int, conditions: list[ColumnElement[bool]], above: int | None
) -> Subquery:
    """The rows matching ``conditions`` with their scores, each term's CASE evaluated once
    per row. Flattened, SQLite and PostgreSQL would repeat it for every reference (the
    per-term tests, the total, the cursor condition): ``OFFSET 0`` keeps the subquery."""
    c = ENTRIES.c
    parts = [score.label(f"s{i}") for i, score in enumerate(term_scores(dialect, n_terms))]
    if n_terms > 1:
        parts.append(phrase_bonus(dialect).label("bonus"))
    shown = (c.pinned, c.highlighted, c.request_count, c.endpoint_id)
    scored = select(c.id, *parts, *shown).where(*conditions).offset(0).subquery("scored")
    s = scored.c
    terms = [s[f"s{i}"] for i in range(n_terms)]
    score: ColumnElement[int] = sum(terms[1:], terms[0])
    if n_terms > 1:
        score = score + s.bonus
    # Every term must hit some field (the index may return a superset).
    outer = [term > 0 for term in terms]
    if above is not None:
        outer.append(score > above)
    shown_s = (s.pinned, s.highlighted, s.request_count, s.endpoint_id)
    return select(s.id, score.label("score"), *shown_s).where(*outer).subquery("ranked")


def ranked_ids(
    dialect: str,
    query: SearchQuery,
    *,
    scope: Scope = "all",
    above: int | None = None,
) -> Select[Any]:
    """``SELECT id, score, pinned, highlighted, request_count, endpoint_id`` in result order.

    This is the whole cost of a search; loading the rows afterwards is a primary-key read.
    Execute it with :func:`term_params` of the query's terms.
    ``scope`` narrows the index's candidates (see :func:`_candidates`) and ``above`` keeps
    rows scoring more than it: together they give the head of the same order when only
    such rows can be in it, at a fraction of the cost when a word is common.
    """
    c = ENTRIES.c
    conditions = filters(query)
    terms = list(query.terms)
    if terms:
        candidates = _candidates(dialect, terms, scope)
        if candidates is not None:
            conditions.append(candidates)
        inner = _scored(dialect, len(terms), conditions, above)
    else:
        shown = (c.pinned, c.highlighted, c.request_count, c.endpoint_id)
        unscored = select(c.id, literal(0, Integer).label("score"), *shown)
        inner = unscored.where(*conditions).subquery("ranked")
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
