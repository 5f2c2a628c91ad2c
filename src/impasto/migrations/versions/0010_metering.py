"""metering, billing events, teams and durable logs

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_events",
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("owner", sa.String(63), nullable=False),
        sa.Column("key_id", sa.String(36), nullable=True),
        sa.Column("endpoint_id", sa.String(255), nullable=False),
        sa.Column("app_id", sa.String(255), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("error_type", sa.String(64), nullable=True),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit_price_nano", sa.BigInteger(), nullable=False),
        sa.Column("cost_nano", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("prepare_seconds", sa.Float(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("runner_seconds", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner"], ["accounts.name"], name="fk_usage_events_owner_accounts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("request_id", name="pk_usage_events"),
    )
    op.create_index("ix_usage_events_owner_completed_at", "usage_events", ["owner", "completed_at"])
    op.create_index(
        "ix_usage_events_owner_endpoint_id_completed_at",
        "usage_events",
        ["owner", "endpoint_id", "completed_at"],
    )
    op.create_table(
        "organization_teams",
        sa.Column("username", sa.String(63), nullable=False),
        sa.Column("organization", sa.String(63), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["username"],
            ["accounts.name"],
            name="fk_organization_teams_username_accounts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization"],
            ["accounts.name"],
            name="fk_organization_teams_organization_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("username", name="pk_organization_teams"),
    )
    op.create_index(
        "ix_organization_teams_organization_username",
        "organization_teams",
        ["organization", "username"],
    )
    op.create_table(
        "model_access_rules",
        sa.Column("account", sa.String(63), nullable=False),
        sa.Column("endpoint_id", sa.String(255), nullable=False),
        sa.Column("access", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("access IN ('ALLOWED', 'BLOCKED')", name="ck_model_access_rules_access"),
        sa.ForeignKeyConstraint(
            ["account"],
            ["accounts.name"],
            name="fk_model_access_rules_account_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account", "endpoint_id", name="pk_model_access_rules"),
    )


def downgrade() -> None:
    op.drop_table("model_access_rules")
    op.drop_index("ix_organization_teams_organization_username", table_name="organization_teams")
    op.drop_table("organization_teams")
    op.drop_index("ix_usage_events_owner_endpoint_id_completed_at", table_name="usage_events")
    op.drop_index("ix_usage_events_owner_completed_at", table_name="usage_events")
    op.drop_table("usage_events")
