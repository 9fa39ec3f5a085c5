"""ledger notes (narrative and measures) and measured figures

Revision ID: 0006
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("ledger_item", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=True),
        sa.Column("measures", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["organization.id"], name=op.f("fk_ledger_note_unit_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_note")),
        sa.UniqueConstraint("unit_id", "ledger_item", "year", name=op.f("uq_ledger_note_unit_id")),
    )
    op.create_table(
        "ledger_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("evidence_record_id", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_record_id"],
            ["evidence_record.id"],
            name=op.f("fk_ledger_figure_evidence_record_id_evidence_record"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["organization.id"], name=op.f("fk_ledger_figure_unit_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_figure")),
        sa.UniqueConstraint("unit_id", "year", "key", name=op.f("uq_ledger_figure_unit_id")),
    )


def downgrade() -> None:
    op.drop_table("ledger_figure")
    op.drop_table("ledger_note")
