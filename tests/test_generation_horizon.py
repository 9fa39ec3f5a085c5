"""Generation's first read, how far the live tasks reach, is one index entry (migration 0018)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from obligations.tasks.generation import LATEST_LIVE_PERIOD


def test_the_latest_live_period_is_read_from_its_partial_index(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as db:
        dialect = db.get_bind().dialect
        sql = str(LATEST_LIVE_PERIOD.compile(dialect=dialect))
        if dialect.name == "sqlite":
            plan = db.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
        else:
            # An empty table is otherwise read whole, rightly.
            db.execute(text("SET LOCAL enable_seqscan = off"))
            plan = db.execute(text(f"EXPLAIN {sql}")).all()
    assert "ix_task_live_period_start" in " ".join(str(step) for step in plan)
