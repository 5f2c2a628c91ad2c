"""installed model weights and endpoint aliases

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "installed_models",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("repo_id", sa.String(200), nullable=True),
        sa.Column("revision", sa.String(200), nullable=True),
        sa.Column("commit_sha", sa.String(64), nullable=True),
        sa.Column("family", sa.String(32), nullable=False),
        sa.Column("pipeline_class", sa.String(128), nullable=False),
        sa.Column("variant", sa.String(16), nullable=True),
        sa.Column("path", sa.String(4096), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("owned", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_installed_models"),
    )
    op.create_table(
        "model_aliases",
        sa.Column("endpoint_id", sa.String(255), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("task", sa.String(32), nullable=False),
        sa.Column("device", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_name"],
            ["installed_models.name"],
            name="fk_model_aliases_model_name_installed_models",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("endpoint_id", name="pk_model_aliases"),
    )
    op.create_index("ix_model_aliases_model_name", "model_aliases", ["model_name"])


def downgrade() -> None:
    op.drop_index("ix_model_aliases_model_name", table_name="model_aliases")
    op.drop_table("model_aliases")
    op.drop_table("installed_models")
