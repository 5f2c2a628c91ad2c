"""studio sign-in sessions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "studio_sessions",
        sa.Column("session_sha256", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["api_keys.key_id"],
            name="fk_studio_sessions_key_id_api_keys",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_sha256", name="pk_studio_sessions"),
    )
    op.create_index("ix_studio_sessions_key_id", "studio_sessions", ["key_id"])
    op.create_index("ix_studio_sessions_expires_at", "studio_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_studio_sessions_expires_at", table_name="studio_sessions")
    op.drop_index("ix_studio_sessions_key_id", table_name="studio_sessions")
    op.drop_table("studio_sessions")
