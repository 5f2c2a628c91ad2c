"""Planner hints that mean the same on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
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


def plan_each_search(session: Session) -> None:
    """On PostgreSQL, for the rest of this transaction: a fresh plan for every statement,
    and no parallel workers. SQLite has neither.

    A search's best plan depends on its words: the GIN index for rare ones, a walk down
    the key index for common ones. The driver prepares a statement run five times on a
    connection, and PostgreSQL then caches one generic plan for all of them: 100 ms where
    the planned walk takes 5. For a keyset walk stopped by a LIMIT whose filter holds a
    costly expression (full text), the planner also prices the whole walk and picks a
    parallel plan, whose workers took 15 ms to start (``bench/README.md``, Assets)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "SELECT set_config('plan_cache_mode', 'force_custom_plan', true),"
                " set_config('max_parallel_workers_per_gather', '0', true)"
            )
        )
