"""Alembic environment: always driven by ``impasto.kit.db.migrate`` with a live connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from impasto.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations with `impasto migrate`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
