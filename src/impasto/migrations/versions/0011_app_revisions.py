"""app code revisions, app events and runner samples

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_code",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_app_code"),
    )
    op.create_table(
        "app_revisions",
        sa.Column("revision_id", sa.String(36), nullable=False),
        sa.Column("app_id", sa.String(255), nullable=False),
        sa.Column("code_sha256", sa.String(64), nullable=False),
        sa.Column("entry", sa.String(512), nullable=False),
        sa.Column("requirements", sa.JSON(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("deployed_by", sa.String(36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("revision_id", name="pk_app_revisions"),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.app_id"], name="fk_app_revisions_app_id_apps", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["code_sha256"], ["app_code.sha256"], name="fk_app_revisions_code_sha256_app_code"
        ),
    )
    op.create_index("ix_app_revisions_app_id", "app_revisions", ["app_id"])
    op.create_index("ix_app_revisions_code_sha256", "app_revisions", ["code_sha256"])
    with op.batch_alter_table("apps") as batch:
        batch.add_column(sa.Column("revision_id", sa.String(36), nullable=True))
    op.create_table(
        "app_events",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("app_id", sa.String(255), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_app_events"),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.app_id"], name="fk_app_events_app_id_apps", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_app_events_app_id_created_at", "app_events", ["app_id", "created_at"])
    op.create_table(
        "runner_samples",
        sa.Column("sample_id", sa.String(36), nullable=False),
        sa.Column("app_id", sa.String(255), nullable=False),
        sa.Column("worker", sa.String(128), nullable=False),
        sa.Column("sampled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("running", sa.Integer(), nullable=False),
        sa.Column("idle", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("draining", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sample_id", name="pk_runner_samples"),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.app_id"], name="fk_runner_samples_app_id_apps", ondelete="CASCADE"
        ),
    )
    op.create_index(
        "ix_runner_samples_app_id_sampled_at", "runner_samples", ["app_id", "sampled_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_runner_samples_app_id_sampled_at", table_name="runner_samples")
    op.drop_table("runner_samples")
    op.drop_index("ix_app_events_app_id_created_at", table_name="app_events")
    op.drop_table("app_events")
    with op.batch_alter_table("apps") as batch:
        batch.drop_column("revision_id")
    op.drop_index("ix_app_revisions_code_sha256", table_name="app_revisions")
    op.drop_index("ix_app_revisions_app_id", table_name="app_revisions")
    op.drop_table("app_revisions")
    op.drop_table("app_code")
