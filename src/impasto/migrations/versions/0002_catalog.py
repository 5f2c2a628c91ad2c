"""model catalog, favorites and prices

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("endpoint_id", sa.String(255), nullable=False),
        sa.Column("owner", sa.String(63), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("thumbnail_url", sa.String(2048), nullable=False),
        sa.Column("thumbnail_animated_url", sa.String(2048), nullable=True),
        sa.Column("github_url", sa.String(2048), nullable=True),
        sa.Column("license_type", sa.String(16), nullable=True),
        sa.Column("group_key", sa.String(100), nullable=True),
        sa.Column("group_label", sa.String(255), nullable=True),
        sa.Column("kind", sa.String(16), nullable=True),
        sa.Column("training_endpoint_ids", sa.JSON(), nullable=False),
        sa.Column("inference_endpoint_ids", sa.JSON(), nullable=False),
        sa.Column("stream_url", sa.String(2048), nullable=True),
        sa.Column("duration_estimate", sa.Float(), nullable=True),
        sa.Column("highlighted", sa.Boolean(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("privacy", sa.String(16), nullable=False),
        sa.Column("type", sa.String(64), nullable=True),
        sa.Column("collections", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_count", sa.BigInteger(), nullable=False),
        sa.Column("loaded", sa.Boolean(), nullable=False),
        sa.Column("input_schema", sa.JSON(), nullable=True),
        sa.Column("output_schema", sa.JSON(), nullable=True),
        sa.Column("price_unit", sa.String(64), nullable=True),
        sa.Column("price_unit_price", sa.Float(), nullable=True),
        sa.Column("price_currency", sa.String(3), nullable=True),
        sa.Column("search_name", sa.Text(), nullable=False),
        sa.Column("search_id", sa.Text(), nullable=False),
        sa.Column("search_tags", sa.Text(), nullable=False),
        sa.Column("search_category", sa.Text(), nullable=False),
        sa.Column("search_description", sa.Text(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'deprecated')", name="ck_catalog_entries_status"),
        sa.CheckConstraint(
            "privacy IN ('public', 'private', 'unlisted')", name="ck_catalog_entries_privacy"
        ),
        sa.ForeignKeyConstraint(
            ["owner"],
            ["accounts.name"],
            name="fk_catalog_entries_owner_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_entries"),
        sa.UniqueConstraint("endpoint_id", name="uq_catalog_entries_endpoint_id"),
    )
    op.create_index(
        "ix_catalog_entries_owner_endpoint_id", "catalog_entries", ["owner", "endpoint_id"]
    )
    op.create_index(
        "ix_catalog_entries_created_at_endpoint_id",
        "catalog_entries",
        ["created_at", "endpoint_id"],
    )
    op.create_index(
        "ix_catalog_entries_updated_at_endpoint_id",
        "catalog_entries",
        ["updated_at", "endpoint_id"],
    )
    op.create_index(
        "ix_catalog_entries_request_count_endpoint_id",
        "catalog_entries",
        ["request_count", "endpoint_id"],
    )
    op.create_index(
        "ix_catalog_entries_list_order",
        "catalog_entries",
        [
            sa.text("pinned DESC"),
            sa.text("highlighted DESC"),
            sa.text("request_count DESC"),
            "endpoint_id",
        ],
    )
    op.create_index(
        "ix_catalog_entries_category_order",
        "catalog_entries",
        [
            "category",
            sa.text("pinned DESC"),
            sa.text("highlighted DESC"),
            sa.text("request_count DESC"),
            "endpoint_id",
        ],
    )
    for table, column, key_type in (
        ("catalog_tags", "tag", sa.String(64)),
        ("catalog_collections", "collection_id", sa.String(64)),
    ):
        op.create_table(
            table,
            sa.Column("entry_id", sa.Integer(), nullable=False),
            sa.Column(column, key_type, nullable=False),
            sa.ForeignKeyConstraint(
                ["entry_id"],
                ["catalog_entries.id"],
                name=f"fk_{table}_entry_id_catalog_entries",
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("entry_id", column, name=f"pk_{table}"),
        )
        op.create_index(f"ix_{table}_{column}_entry_id", table, [column, "entry_id"])
    for table in ("catalog_favorites", "catalog_blacklist"):
        op.create_table(
            table,
            sa.Column("owner", sa.String(63), nullable=False),
            sa.Column("entry_id", sa.Integer(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["owner"], ["accounts.name"], name=f"fk_{table}_owner_accounts", ondelete="CASCADE"
            ),
            sa.ForeignKeyConstraint(
                ["entry_id"],
                ["catalog_entries.id"],
                name=f"fk_{table}_entry_id_catalog_entries",
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("owner", "entry_id", name=f"pk_{table}"),
        )
    _create_search_index()


def _create_search_index() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Token-prefix search over the normalised columns; 'simple' keeps every token as is.
        # Keep the expression in step with catalog/search/query.py, which repeats it.
        op.execute(
            "CREATE INDEX catalog_fts_gin ON catalog_entries USING gin (to_tsvector("
            "'simple'::regconfig, search_name || search_id || search_tags || search_category "
            "|| search_description))"
        )
        return
    # External-content FTS5 over the same columns, kept in step by triggers. The prefix
    # indexes make 'flu*' as cheap as a whole-word lookup.
    op.execute(
        "CREATE VIRTUAL TABLE catalog_fts USING fts5(search_name, search_id, search_tags, "
        "search_category, search_description, content='catalog_entries', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 0', prefix='1 2 3 4')"
    )
    op.execute(
        "CREATE TRIGGER catalog_fts_ai AFTER INSERT ON catalog_entries BEGIN "
        "INSERT INTO catalog_fts(rowid, search_name, search_id, search_tags, search_category, "
        "search_description) VALUES (new.id, new.search_name, new.search_id, new.search_tags, "
        "new.search_category, new.search_description); END"
    )
    op.execute(
        "CREATE TRIGGER catalog_fts_ad AFTER DELETE ON catalog_entries BEGIN "
        "INSERT INTO catalog_fts(catalog_fts, rowid, search_name, search_id, search_tags, "
        "search_category, search_description) VALUES ('delete', old.id, old.search_name, "
        "old.search_id, old.search_tags, old.search_category, old.search_description); END"
    )
    op.execute(
        "CREATE TRIGGER catalog_fts_au AFTER UPDATE OF search_name, search_id, search_tags, "
        "search_category, search_description ON catalog_entries BEGIN "
        "INSERT INTO catalog_fts(catalog_fts, rowid, search_name, search_id, search_tags, "
        "search_category, search_description) VALUES ('delete', old.id, old.search_name, "
        "old.search_id, old.search_tags, old.search_category, old.search_description); "
        "INSERT INTO catalog_fts(rowid, search_name, search_id, search_tags, search_category, "
        "search_description) VALUES (new.id, new.search_name, new.search_id, new.search_tags, "
        "new.search_category, new.search_description); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS catalog_fts_gin")
    else:
        for trigger in ("catalog_fts_ai", "catalog_fts_ad", "catalog_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS catalog_fts")
    op.drop_table("catalog_blacklist")
    op.drop_table("catalog_favorites")
    op.drop_index("ix_catalog_collections_collection_id_entry_id", table_name="catalog_collections")
    op.drop_table("catalog_collections")
    op.drop_index("ix_catalog_tags_tag_entry_id", table_name="catalog_tags")
    op.drop_table("catalog_tags")
    for name in (
        "ix_catalog_entries_list_order",
        "ix_catalog_entries_category_order",
        "ix_catalog_entries_request_count_endpoint_id",
        "ix_catalog_entries_updated_at_endpoint_id",
        "ix_catalog_entries_created_at_endpoint_id",
        "ix_catalog_entries_owner_endpoint_id",
    ):
        op.drop_index(name, table_name="catalog_entries")
    op.drop_table("catalog_entries")
