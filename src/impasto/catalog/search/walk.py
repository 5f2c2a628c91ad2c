"""The head walk: a search page for common words without scoring every match.

A word found in half the catalog matches tens of thousands of rows, and ranking them all
costs tens of milliseconds whatever the index. Yet ties on the score are broken by the list
order (pinned, highlighted, popularity, id), which an index walks for free, and the best
scores go to rows with the words in their name. So, tier by tier (the best score; every
term in the name; every term in name, id or tags; every term anywhere):

1. Walk ``ix_catalog_entries_list_order`` (or its per-category twin) and take the first
   ``k`` visible rows of the tier, reading a bounded number of rows.
2. The lowest score among them, ``s``, bounds the page from below: another row enters the
   page only by scoring more than ``s`` (at equal score the walked row is earlier in the
   list). On the best tier nothing can: the ``k`` rows are the page.
3. Otherwise fetch the rows that can, through the full-text index
   (``search.outscoring_match``), when they are few, and merge them in.

On SQLite, FTS5 counts a tier's rows first (by the terms' first four letters, read from its
prefix index), so tiers too rare to fill a page within the bound are skipped unread (found
by bisection: each tier's rows include the tier's above). When no tier gives a proven
page, :func:`head` returns ``None`` and the caller ranks the index's whole candidate set as
before. The page is the same either way; only the cost changes
(``docs/architecture/catalog-search.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from impasto.catalog.search.query import (
    ENTRIES,
    FIELD_WEIGHTS,
    PG_MATCH,
    SearchQuery,
    best_score,
    filters,
    hits_at_least,
    list_keys,
    outscoring_match,
    ranked_ids,
    score_of,
    term_params,
)
from impasto.kit import search_text
from impasto.kit.db.keyset import order_by, sort_after

# A tier is the weight every term must reach in it (a token prefix of the name: 10; of the
# name, id or tags: 6; anywhere: 1), or BEST: the best score there is.
Tier = int
BEST: Tier = 0
# One word: every weight is its own tier; several: the best, then by field.
ONE_WORD_TIERS = (12, 10, 8, 6, 4, 2, 1)
WORDS_TIERS = (BEST, 10, 6, 1)


@dataclass(frozen=True, slots=True)
class Bounds:
    """How far a walk goes before it hands over to ranking every candidate."""

    # Rows of the list order read per tier at most, as a multiple of the page (limit + 1).
    read_factor: int = 100
    # Below this many candidates (SQLite), ranking them all beats walking.
    common: int = 2000
    # Fetch at most this many rows to prove a page; more, and ranking all is as cheap.
    check_limit: int = 300


DEFAULT_BOUNDS = Bounds()
WEIGHTS = sorted({w for _, exact, prefix in FIELD_WEIGHTS for w in (exact, prefix)})
Row = tuple[Any, ...]


def head(
    session: Session, dialect: str, query: SearchQuery, bounds: Bounds = DEFAULT_BOUNDS
) -> list[Row] | None:
    """The page ``ranked_ids(query)`` would return, or ``None`` when the walk cannot prove
    it cheaply. Rows are ``(id, score, pinned, highlighted, request_count, endpoint_id)``."""
    terms = list(query.terms)
    n, k = len(terms), query.limit
    sqlite = dialect == "sqlite"
    # A tier fills a page within the walk's reach if about this many rows are in it.
    total = session.execute(select(func.max(ENTRIES.c.id))).scalar_one() or 0
    dense = max(1, total // bounds.read_factor)
    tiers: Sequence[Tier] = ONE_WORD_TIERS if n == 1 else WORDS_TIERS
    if sqlite:  # tiers too rare to fill a page within the walk's reach are skipped unread
        tiers = tiers[_first_dense(session, terms, tiers, dense) :]
    for tier in tiers:
        statement = _walk(dialect, query, tier, bounds)
        walked = [tuple(row) for row in session.execute(statement, term_params(terms))]
        if len(walked) < k:
            continue
        floor = min(row[1] for row in walked)
        if floor >= best_score(n):
            return walked  # all on the best score, in list order
        # A row outside the tier scores at most ``beside``; when that reaches the floor, one
        # may sit between walked rows: then fetch every row scoring the floor or more.
        lower = [w for w in WEIGHTS if w < tier]  # none: outside tier 1 is no match
        beside = FIELD_WEIGHTS[0][1] * (n - 1) + max(lower) if lower else -1
        above = floor if beside < floor else floor - 1
        outscoring = _outscoring(session, dialect, query, above, bounds.check_limit)
        if outscoring is None:
            return None
        return _merge(walked, outscoring, k) if above == floor else outscoring
    return None


def sparse(
    session: Session, dialect: str, terms: Sequence[str], bounds: Bounds = DEFAULT_BOUNDS
) -> bool:
    """Whether the words match so few rows that ranking them all is cheaper than walking.
    SQLite: FTS5 counts up to ``bounds.common`` rows by the terms' first letters. PostgreSQL:
    the planner's estimate for the GIN match (counting would build the whole bitmap)."""
    if dialect == "sqlite":
        return _count(session, _prefixes(terms), bounds.common) < bounds.common
    tsquery = search_text.tsquery(terms)
    if tsquery is None:
        return False
    explained = session.execute(
        text(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM catalog_entries WHERE {PG_MATCH}"),  # noqa: S608  - constant SQL, bound query
        {"catalog_tsquery": tsquery},
    ).scalar_one()
    estimate = explained[0]["Plan"]["Plan Rows"]
    return isinstance(estimate, int | float) and estimate < bounds.common


def _walk(dialect: str, query: SearchQuery, tier: Tier, bounds: Bounds) -> Select[Any]:
    """The first ``limit`` rows of ``tier`` among the first ``read_factor * limit`` visible
    rows of the list order, with their scores, in list order."""
    c = ENTRIES.c
    terms = list(query.terms)
    needed = [c.id, c.pinned, c.highlighted, c.request_count, c.endpoint_id]
    needed += [column for column, _, _ in FIELD_WEIGHTS]
    window = (
        select(*needed)
        .where(*filters(query))
        .order_by(*order_by(list_keys()))
        .limit(bounds.read_factor * query.limit)
        .subquery("window")
    )
    # The score templates name columns unqualified: here they read the window's.
    w = window.c
    score = score_of(dialect, len(terms))
    keys = [(w[column.name], descending) for column, descending in list_keys()]
    floor = tier or FIELD_WEIGHTS[0][1]
    conditions = [hits_at_least(dialect, i, floor) for i in range(len(terms))]
    if tier == BEST:
        conditions.append(score >= best_score(len(terms)))
    if query.after is not None:
        conditions.append(sort_after([(score, True), *keys], query.after))
    statement = (
        select(w.id, score, w.pinned, w.highlighted, w.request_count, w.endpoint_id)
        .where(*conditions)
        .limit(query.limit)
    )
    if dialect == "sqlite":
        # No ORDER BY: SQLite runs the window as a co-routine, in the window's order, and
        # stops reading it once the page is full; sorting here would read all of it.
        return statement
    return statement.order_by(*order_by(keys))  # PostgreSQL keeps the index's order


def _outscoring(
    session: Session, dialect: str, query: SearchQuery, floor: int, limit: int
) -> list[Row] | None:
    """The best rows scoring more than ``floor`` (a page of them at most), in result order,
    or ``None`` when the index cannot narrow them down to a few."""
    if dialect == "sqlite":
        match = outscoring_match(list(query.terms), floor)
        if match is None:
            return None
        found = session.execute(
            text("SELECT rowid FROM catalog_fts WHERE catalog_fts MATCH :m LIMIT :cap"),
            {"m": match, "cap": limit + 1},
        )
        ids = list(found.scalars())
        if len(ids) > limit:
            return None
        narrowed = replace(query, extra=(*query.extra, ENTRIES.c.id.in_(ids)))
        statement = ranked_ids(dialect, narrowed, scope="none", above=floor)
    elif floor >= FIELD_WEIGHTS[0][1] * len(query.terms) - 2:
        # Only whole name words can do better; the GIN index knows whole words.
        statement = ranked_ids(dialect, query, scope="name_exact", above=floor)
    else:
        return None
    return [tuple(row) for row in session.execute(statement, term_params(query.terms))]


def _merge(walked: list[Row], outscoring: list[Row], k: int) -> list[Row]:
    # The outscoring rows arrive in result order and beat every walked row they do not
    # contain, which all score the floor and keep their list order: no string comparison.
    seen = {row[0] for row in outscoring}
    return (outscoring + [row for row in walked if row[0] not in seen])[:k]


def _prefixes(terms: Sequence[str], columns: str | None = None) -> str:
    """Every term's first four letters, in ``columns``: a superset FTS5 reads from its prefix
    index as a stream, where a longer prefix merges every token that starts with it."""
    match = " AND ".join(f'"{term[:4]}"*' for term in terms)
    return f"{{{columns}}} : ({match})" if columns else match


def _count(session: Session, match: str, cap: int) -> int:
    statement = text(
        "SELECT count(*) FROM (SELECT rowid FROM catalog_fts WHERE catalog_fts MATCH :m LIMIT :cap)"
    )
    count: int = session.execute(statement, {"m": match, "cap": cap}).scalar_one()
    return count


def _first_dense(session: Session, terms: list[str], tiers: Sequence[Tier], dense: int) -> int:
    """The index of the first tier with ``dense`` rows, by bisection: each tier's match is a
    superset of the one before, so the counts only grow down the list (a tag word used to
    pay one count per empty name and id tier)."""
    low, high = 0, len(tiers)
    while low < high:
        middle = (low + high) // 2
        if _count(session, _tier_match(terms, tiers[middle]), dense) < dense:
            low = middle + 1
        else:
            high = middle
    return low


def _tier_match(terms: list[str], tier: Tier) -> str:
    """A superset of the tier's rows, for FTS5 to count: per term, the fields where a token
    prefix reaches the tier (by its first four letters), or only a whole word does."""
    if tier == BEST:
        return "{search_name} : (" + " AND ".join(f'"{term}"' for term in terms) + ")"
    prefix = " ".join(column.name for column, _, weight in FIELD_WEIGHTS if weight >= tier)
    exact = " ".join(column.name for column, weight, low in FIELD_WEIGHTS if weight >= tier > low)
    groups = []
    for term in terms:
        parts = [f'{{{prefix}}} : "{term[:4]}"*'] if prefix else []
        parts += [f'{{{exact}}} : "{term}"'] if exact else []
        groups.append("(" + " OR ".join(parts) + ")")
    return " AND ".join(groups)
