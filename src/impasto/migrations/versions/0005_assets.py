"""asset library: assets, tags, collections and characters, lineage, embeddings, jobs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = (
    "asset_tag_links",
    "asset_run_links",
    "asset_index_jobs",
    "asset_embeddings",
    "asset_collection_items",
    "idempotency_keys",
    "assets",
    "asset_tags",
    "asset_collections",
)


def upgrade() -> None:
    op.create_table(
        "asset_collections",
        sa.Column("collection_id", sa.String(length=36), nullable=False),
        sa.Column("owner", sa.String(length=63), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("icon", sa.String(length=255), nullable=True),
        sa.Column("color", sa.String(length=64), nullable=True),
        sa.Column("cover_image_url", sa.String(length=2048), nullable=True),
        sa.Column("character_identifier", sa.String(length=64), nullable=True),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=True),
        sa.Column("reference_images", sa.JSON(), nullable=False),
        sa.Column("is_favorited", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('manual', 'smart', 'character')", name=op.f("ck_asset_collections_type")
        ),
        sa.ForeignKeyConstraint(
            ["owner"],
            ["accounts.name"],
            name=op.f("fk_asset_collections_owner_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_id", name=op.f("pk_asset_collections")),
        sa.UniqueConstraint(
            "owner",
            "character_identifier",
            name=op.f("uq_asset_collections_owner_character_identifier"),
        ),
    )
    op.create_index(
        op.f("ix_asset_collections_owner_type_created_at"),
        "asset_collections",
        ["owner", "type", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_asset_collections_parent_id"), "asset_collections", ["parent_id"], unique=False
    )
    op.create_table(
        "asset_tags",
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        sa.Column("owner", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner"],
            ["accounts.name"],
            name=op.f("fk_asset_tags_owner_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tag_id", name=op.f("pk_asset_tags")),
        sa.UniqueConstraint("owner", "name", name=op.f("uq_asset_tags_owner_name")),
    )
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("asset_id", sa.String(length=36), nullable=False),
        sa.Column("owner", sa.String(length=63), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("media_type", sa.String(length=8), nullable=False),
        sa.Column("file_id", sa.String(length=36), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("endpoint_id", sa.String(length=255), nullable=True),
        sa.Column("thumbnail_file_id", sa.String(length=36), nullable=True),
        sa.Column("is_favorited", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "media_type IN ('image', 'video', 'audio', '3d')", name=op.f("ck_assets_media_type")
        ),
        sa.CheckConstraint(
            "source IN ('upload', 'request', 'response')", name=op.f("ck_assets_source")
        ),
        sa.ForeignKeyConstraint(
            ["owner"], ["accounts.name"], name=op.f("fk_assets_owner_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
        sa.UniqueConstraint("asset_id", name=op.f("uq_assets_asset_id")),
    )
    op.create_index(
        op.f("ix_assets_owner_created_at_id"), "assets", ["owner", "created_at", "id"], unique=False
    )
    op.create_index(op.f("ix_assets_owner_file_id"), "assets", ["owner", "file_id"], unique=False)
    op.create_index(
        op.f("ix_assets_owner_request_id"), "assets", ["owner", "request_id"], unique=False
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("owner", sa.String(length=63), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner"],
            ["accounts.name"],
            name=op.f("fk_idempotency_keys_owner_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("owner", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(
        op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"], unique=False
    )
    op.create_table(
        "asset_collection_items",
        sa.Column("collection_id", sa.String(length=36), nullable=False),
        sa.Column("asset_pk", sa.Integer(), nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_pk"],
            ["assets.id"],
            name=op.f("fk_asset_collection_items_asset_pk_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["asset_collections.collection_id"],
            name=op.f("fk_asset_collection_items_collection_id_asset_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "collection_id", "asset_pk", name=op.f("pk_asset_collection_items")
        ),
    )
    op.create_index(
        op.f("ix_asset_collection_items_asset_pk"),
        "asset_collection_items",
        ["asset_pk"],
        unique=False,
    )
    op.create_table(
        "asset_embeddings",
        sa.Column("asset_pk", sa.Integer(), nullable=False),
        sa.Column("space", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("dimensions", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_pk"],
            ["assets.id"],
            name=op.f("fk_asset_embeddings_asset_pk_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "asset_pk", "space", "kind", "position", name=op.f("pk_asset_embeddings")
        ),
    )
    op.create_index(
        op.f("ix_asset_embeddings_space_asset_pk"),
        "asset_embeddings",
        ["space", "asset_pk"],
        unique=False,
    )
    op.create_table(
        "asset_index_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("asset_pk", sa.Integer(), nullable=False),
        sa.Column("space", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_pk"],
            ["assets.id"],
            name=op.f("fk_asset_index_jobs_asset_pk_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_index_jobs")),
    )
    op.create_index(
        op.f("ix_asset_index_jobs_status_run_after_id"),
        "asset_index_jobs",
        ["status", "run_after", "id"],
        unique=False,
    )
    op.create_table(
        "asset_run_links",
        sa.Column("asset_pk", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("endpoint_id", sa.String(length=255), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_pk"],
            ["assets.id"],
            name=op.f("fk_asset_run_links_asset_pk_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("asset_pk", "request_id", "role", name=op.f("pk_asset_run_links")),
    )
    op.create_index(
        op.f("ix_asset_run_links_request_id_role"),
        "asset_run_links",
        ["request_id", "role"],
        unique=False,
    )
    op.create_table(
        "asset_tag_links",
        sa.Column("asset_pk", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_pk"],
            ["assets.id"],
            name=op.f("fk_asset_tag_links_asset_pk_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["asset_tags.tag_id"],
            name=op.f("fk_asset_tag_links_tag_id_asset_tags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("asset_pk", "tag_id", name=op.f("pk_asset_tag_links")),
    )
    op.create_index(
        op.f("ix_asset_tag_links_tag_id_asset_pk"),
        "asset_tag_links",
        ["tag_id", "asset_pk"],
        unique=False,
    )

    _create_search_index()


def _create_search_index() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Token-prefix candidates; keep the expression in step with assets/search/keyword.py.
        op.execute(
            "CREATE INDEX assets_fts_gin ON assets "
            "USING gin (to_tsvector('simple'::regconfig, search_text))"
        )
        return
    # External-content FTS5 over search_text, kept in step by triggers (as the catalog's).
    op.execute(
        "CREATE VIRTUAL TABLE assets_fts USING fts5(search_text, content='assets', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 0', prefix='1 2 3')"
    )
    op.execute(
        "CREATE TRIGGER assets_fts_ai AFTER INSERT ON assets BEGIN "
        "INSERT INTO assets_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER assets_fts_ad AFTER DELETE ON assets BEGIN "
        "INSERT INTO assets_fts(assets_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER assets_fts_au AFTER UPDATE OF search_text ON assets BEGIN "
        "INSERT INTO assets_fts(assets_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO assets_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS assets_fts_gin")
    else:
        for trigger in ("assets_fts_ai", "assets_fts_ad", "assets_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS assets_fts")
    for table in TABLES:
        op.drop_table(table)
