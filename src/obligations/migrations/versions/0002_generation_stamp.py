"""generation stamps: per-rule digest of the inputs tasks were generated from

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "generation_stamp",
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("provisional", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rule_id", name=op.f("pk_generation_stamp")),
    )


def downgrade() -> None:
    op.drop_table("generation_stamp")
