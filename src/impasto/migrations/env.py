"""Alembic environment: always driven by ``impasto.kit.db.migrate``, with a live connection,
or offline (``impasto migrate --sql``) with the database's URL to print the SQL instead."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection, make_url

from impasto.models import Base

if context.is_offline_mode():
    url = make_url(context.config.get_main_option("sqlalchemy.url") or "")
    context.configure(
        url=url,
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=url.get_backend_name() == "sqlite",
        compare_type=True,
    )
else:
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
