"""Keyset conditions for any mix of ascending and descending sort keys.

``after(keys, position)`` is true for rows that sort strictly after ``position`` in the order
``keys`` describes, expanded as (k1 beyond p1) OR (k1 = p1 AND k2 beyond p2) OR ...: plain SQL
that means the same on SQLite and PostgreSQL, whatever the directions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, literal, or_


def sort_after(
    keys: Sequence[tuple[ColumnElement[Any], bool]], position: Sequence[Any]
) -> ColumnElement[bool]:
    """``keys`` are (expression, descending) pairs; ``position`` the last row's values."""
    # Typed literals: booleans and UTC datetimes bind through their column types.
    values = [
        literal(value, expression.type)
        for (expression, _), value in zip(keys, position, strict=True)
    ]
    clauses: list[ColumnElement[bool]] = []
    for i, (expression, descending) in enumerate(keys):
        equal = [keys[j][0] == values[j] for j in range(i)]
        beyond = expression < values[i] if descending else expression > values[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


def order_by(keys: Sequence[tuple[ColumnElement[Any], bool]]) -> list[ColumnElement[Any]]:
    return [
        expression.desc() if descending else expression.asc() for expression, descending in keys
    ]
