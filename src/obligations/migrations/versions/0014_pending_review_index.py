"""evidence records: an index for the review inbox and its count in the header

Revision ID: 0014
Revises: 0013

``ix_evidence_record_pending`` (review_state, unit_id, recorded_at) answers the header's
"待审核 N" (a COUNT of the pending records of one unit, or of all) on every page a reviewer
opens, and lists them oldest first, without reading the accepted records of past years.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_evidence_record_pending", "evidence_record", ["review_state", "unit_id", "recorded_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_evidence_record_pending", table_name="evidence_record")
