"""deployed apps, run requests, run events and webhook deliveries

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "apps",
        sa.Column("app_id", sa.String(length=255), nullable=False),
        sa.Column("owner", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=127), nullable=False),
        sa.Column("import_path", sa.String(length=512), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("env", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner"], ["accounts.name"], name=op.f("fk_apps_owner_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_apps")),
    )
    op.create_table(
        "run_requests",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("owner", sa.String(length=63), nullable=False),
        sa.Column("key_id", sa.String(length=36), nullable=True),
        sa.Column("endpoint_id", sa.String(length=255), nullable=False),
        sa.Column("app_id", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("input", sa.JSON(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("store_io", sa.Boolean(), nullable=False),
        sa.Column("base_url", sa.String(512), nullable=False),
        sa.Column("runner_hint", sa.String(length=255), nullable=True),
        sa.Column("webhook_url", sa.String(length=2048), nullable=True),
        sa.Column("start_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("result_status", sa.SmallInteger(), nullable=True),
        sa.Column("output", sa.JSON(), nullable=True),
        sa.Column("result_headers", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_type", sa.String(length=64), nullable=True),
        sa.Column("inference_time", sa.Float(), nullable=True),
        sa.Column("payloads_deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner"],
            ["accounts.name"],
            name=op.f("fk_run_requests_owner_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_run_requests")),
    )
    op.create_index(
        op.f("ix_run_requests_app_id_status_priority_request_id"),
        "run_requests",
        ["app_id", "status", "priority", "request_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_run_requests_owner_created_at"),
        "run_requests",
        ["owner", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_run_requests_owner_endpoint_id_created_at"),
        "run_requests",
        ["owner", "endpoint_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_run_requests_status_lease_expires_at"),
        "run_requests",
        ["status", "lease_expires_at"],
        unique=False,
    )
    op.create_table(
        "run_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["run_requests.request_id"],
            name=op.f("fk_run_events_request_id_run_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_run_events")),
    )
    op.create_index(
        op.f("ix_run_events_request_id_seq"), "run_events", ["request_id", "seq"], unique=False
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("owner", sa.String(length=63), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status_code", sa.SmallInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["run_requests.request_id"],
            name=op.f("fk_webhook_deliveries_request_id_run_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        op.f("ix_webhook_deliveries_state_next_attempt_at"),
        "webhook_deliveries",
        ["state", "next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_webhook_deliveries_state_next_attempt_at"), table_name="webhook_deliveries"
    )
    op.drop_table("webhook_deliveries")
    op.drop_index(op.f("ix_run_events_request_id_seq"), table_name="run_events")
    op.drop_table("run_events")
    op.drop_index(op.f("ix_run_requests_status_lease_expires_at"), table_name="run_requests")
    op.drop_index(op.f("ix_run_requests_owner_endpoint_id_created_at"), table_name="run_requests")
    op.drop_index(op.f("ix_run_requests_owner_created_at"), table_name="run_requests")
    op.drop_index(
        op.f("ix_run_requests_app_id_status_priority_request_id"), table_name="run_requests"
    )
    op.drop_table("run_requests")
    op.drop_table("apps")
