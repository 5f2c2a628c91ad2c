"""stored files, uploads and acls

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_blobs"),
    )
    op.create_index("ix_blobs_released_at", "blobs", ["released_at"])
    op.create_table(
        "files",
        sa.Column("file_id", sa.String(36), nullable=False),
        sa.Column("owner", sa.String(63), nullable=False),
        sa.Column("path", sa.String(1024), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("blob_key", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("acl", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner"], ["accounts.name"], name="fk_files_owner_accounts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["blob_key"], ["blobs.key"], name="fk_files_blob_key_blobs"),
        sa.PrimaryKeyConstraint("file_id", name="pk_files"),
        sa.UniqueConstraint("owner", "path", name="uq_files_owner_path"),
    )
    op.create_index("ix_files_blob_key", "files", ["blob_key"])
    op.create_index("ix_files_expires_at", "files", ["expires_at"])
    op.create_table(
        "pending_uploads",
        sa.Column("upload_id", sa.String(36), nullable=False),
        sa.Column("file_id", sa.String(36), nullable=False),
        sa.Column("owner", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("acl", sa.JSON(), nullable=False),
        sa.Column("expiration_seconds", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stale_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner"],
            ["accounts.name"],
            name="fk_pending_uploads_owner_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("upload_id", name="pk_pending_uploads"),
        sa.UniqueConstraint("file_id", name="uq_pending_uploads_file_id"),
    )
    op.create_index("ix_pending_uploads_stale_at", "pending_uploads", ["stale_at"])
    op.create_table(
        "upload_parts",
        sa.Column("upload_id", sa.String(36), nullable=False),
        sa.Column("part_number", sa.Integer(), nullable=False),
        sa.Column("blob_key", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["pending_uploads.upload_id"],
            name="fk_upload_parts_upload_id_pending_uploads",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["blob_key"], ["blobs.key"], name="fk_upload_parts_blob_key_blobs"),
        sa.PrimaryKeyConstraint("upload_id", "part_number", name="pk_upload_parts"),
    )
    op.create_index("ix_upload_parts_blob_key", "upload_parts", ["blob_key"])
    op.create_table(
        "storage_settings",
        sa.Column("owner", sa.String(63), nullable=False),
        sa.Column("expiration_duration_seconds", sa.BigInteger(), nullable=True),
        sa.Column("initial_acl", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner"],
            ["accounts.name"],
            name="fk_storage_settings_owner_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("owner", name="pk_storage_settings"),
    )


def downgrade() -> None:
    op.drop_table("storage_settings")
    op.drop_index("ix_upload_parts_blob_key", table_name="upload_parts")
    op.drop_table("upload_parts")
    op.drop_index("ix_pending_uploads_stale_at", table_name="pending_uploads")
    op.drop_table("pending_uploads")
    op.drop_index("ix_files_expires_at", table_name="files")
    op.drop_index("ix_files_blob_key", table_name="files")
    op.drop_table("files")
    op.drop_index("ix_blobs_released_at", table_name="blobs")
    op.drop_table("blobs")
