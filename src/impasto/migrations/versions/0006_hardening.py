"""worker credentials and runner crash counts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

A ``WORKER`` key is the operator's credential for ``/worker/v1`` (tenant ADMIN keys are
refused there); ``apps`` names the apps it may serve (NULL: all), and the leases its
workers hold are named ``<key_id>/<worker_id>``. ``runner_crashes``
counts the runners that died with a request in flight, so a request that keeps killing
its runner is failed instead of tried again (docs/architecture/threat-model.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint("ck_api_keys_scope", type_="check")
        batch.create_check_constraint("ck_api_keys_scope", "scope IN ('API', 'ADMIN', 'WORKER')")
        batch.add_column(sa.Column("apps", sa.JSON(), nullable=True))
    with op.batch_alter_table("run_requests") as batch:
        batch.add_column(
            sa.Column("runner_crashes", sa.Integer(), nullable=False, server_default="0")
        )
        # A remote worker's leases are held as "<key_id>/<worker_id>".
        batch.alter_column("lease_owner", type_=sa.String(128), existing_type=sa.String(64))


def downgrade() -> None:
    with op.batch_alter_table("run_requests") as batch:
        batch.drop_column("runner_crashes")
        batch.alter_column("lease_owner", type_=sa.String(64), existing_type=sa.String(128))
    op.execute("UPDATE api_keys SET revoked_at = created_at WHERE scope = 'WORKER'")
    op.execute("UPDATE api_keys SET scope = 'ADMIN' WHERE scope = 'WORKER'")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("apps")
        batch.drop_constraint("ck_api_keys_scope", type_="check")
        batch.create_check_constraint("ck_api_keys_scope", "scope IN ('API', 'ADMIN')")
