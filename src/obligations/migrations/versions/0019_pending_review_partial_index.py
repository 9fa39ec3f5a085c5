"""evidence records: the review inbox's index holds the pending records only

Revision ID: 0019
Revises: 0018

``ix_evidence_record_pending`` becomes (unit_id, recorded_at) over the records waiting for
review (pending, not withdrawn), the two conditions every inbox query and the header's "待审核
N" count carry. Over every record, led by a column of three values, a planner with statistics
(SQLite after ANALYZE) judged it no better than reading the table: 2.3 ms per page for the
count at 33,000 records, on every page a reviewer opens. Partial, it is as small as the inbox.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

PENDING = sa.text("review_state = 'PENDING' AND withdrawn_at IS NULL")


def upgrade() -> None:
    op.drop_index("ix_evidence_record_pending", table_name="evidence_record")
    op.create_index(
        "ix_evidence_record_pending",
        "evidence_record",
        ["unit_id", "recorded_at"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_evidence_record_pending", table_name="evidence_record")
    op.create_index(
        "ix_evidence_record_pending", "evidence_record", ["review_state", "unit_id", "recorded_at"]
    )
