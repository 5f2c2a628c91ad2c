"""``read_bounded`` on both databases: one read transaction, which PostgreSQL cancels once
it runs past its timeout (a scrape must not wait on a slow database)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from impasto.kit.db import Database
from impasto.kit.gauges import read_bounded


def test_a_read_answers_from_one_read_transaction(database_url: str) -> None:
    database = Database(database_url, pool_size=1)
    try:
        assert read_bounded(database, lambda s: s.scalar(text("SELECT 41 + 1"))) == 42
    finally:
        database.dispose()


def test_postgresql_cancels_a_read_past_its_timeout(database_url: str) -> None:
    database = Database(database_url, pool_size=1)
    try:
        if database.dialect != "postgresql":
            pytest.skip("SQLite reads never wait for the writer (WAL)")

        def slow(session: Session) -> object:
            return session.execute(text("SELECT pg_sleep(30)")).scalar()

        with pytest.raises(OperationalError, match="statement timeout"):
            read_bounded(database, slow, timeout=0.05)
        # The timeout was the transaction's own: the next read on the connection has none.
        with database.session(write=False) as session:
            assert session.scalar(text("SHOW statement_timeout")) == "0"
    finally:
        database.dispose()
