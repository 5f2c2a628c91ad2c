"""workflows and their runs

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workflows",
        sa.Column("workflow_id", sa.String(36), nullable=False),
        sa.Column("owner", sa.String(63), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("contents", sa.JSON(), nullable=False),
        sa.Column("endpoint_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner"], ["accounts.name"], name="fk_workflows_owner_accounts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("workflow_id", name="pk_workflows"),
        sa.UniqueConstraint("owner", "name", name="uq_workflows_owner_name"),
    )
    op.create_index("ix_workflows_owner_created_at", "workflows", ["owner", "created_at"])
    op.create_table(
        "workflow_runs",
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("workflow_id", sa.String(36), nullable=True),
        sa.Column("contents", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["run_requests.request_id"],
            name="fk_workflow_runs_request_id_run_requests",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.workflow_id"],
            name="fk_workflow_runs_workflow_id_workflows",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("request_id", name="pk_workflow_runs"),
    )
    with op.batch_alter_table("run_requests") as batch:
        batch.add_column(sa.Column("parent_request_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("node_id", sa.String(128), nullable=True))
        # One request per node of a run, whatever completes concurrently.
        batch.create_index(
            "ix_run_requests_parent_request_id_node_id",
            ["parent_request_id", "node_id"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("run_requests") as batch:
        batch.drop_index("ix_run_requests_parent_request_id_node_id")
        batch.drop_column("node_id")
        batch.drop_column("parent_request_id")
    op.drop_table("workflow_runs")
    op.drop_index("ix_workflows_owner_created_at", table_name="workflows")
    op.drop_table("workflows")
