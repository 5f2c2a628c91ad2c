"""Planner hints that mean the same on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement


class unindexed(FunctionElement[Any]):  # a SQL function's lower-case name
    """``column`` as a value no index may serve: SQLite's unary ``+``.

    Without planner statistics SQLite takes an equality on an indexed column over a list
    of primary keys, and reads every row the equality matches to test a hundred keys.
    PostgreSQL keeps statistics and needs no hint."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _plain(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"
