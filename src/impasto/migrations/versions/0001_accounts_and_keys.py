"""accounts and api keys

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_accounts"),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(36), nullable=False),
        sa.Column("owner", sa.String(63), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("alias", sa.String(255), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("scope IN ('API', 'ADMIN')", name="ck_api_keys_scope"),
        sa.ForeignKeyConstraint(
            ["owner"],
            ["accounts.name"],
            name="fk_api_keys_owner_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key_id", name="pk_api_keys"),
    )
    op.create_index("ix_api_keys_owner_key_id", "api_keys", ["owner", "key_id"])


def downgrade() -> None:
    op.drop_index("ix_api_keys_owner_key_id", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("accounts")
