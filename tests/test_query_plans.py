"""Queries read on every run or page that must stay on their indexes, on both databases."""

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


def test_a_records_qualifying_conditions_are_looked_up_per_record_not_hashed_whole(
    sessions: sessionmaker[Session],
) -> None:
    """On PostgreSQL an EXISTS under OR may become a hash of its whole subquery: every
    evidence file hashed for a page of 300 tasks (obligations.tasks.state.qualifying_filter)."""
    from sqlalchemy import func, select

    from obligations.models import EvidenceRecord
    from obligations.tasks.state import qualifying_filter

    query = (
        select(EvidenceRecord.task_id, func.count())
        .where(*qualifying_filter(), EvidenceRecord.task_id.in_([1, 2, 3]))  # type: ignore[arg-type]
        .group_by(EvidenceRecord.task_id)
    )
    with sessions() as db:
        dialect = db.get_bind().dialect
        compiled = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        params = compiled.construct_params()
        args = (
            tuple(params[k] for k in compiled.positiontup or ()) if dialect.positional else params
        )
        explain = "EXPLAIN QUERY PLAN" if dialect.name == "sqlite" else "EXPLAIN"
        steps = db.connection().exec_driver_sql(f"{explain} {compiled.string}", args).all()
        plan = " ".join(str(step) for step in steps)
    assert "hashed" not in plan.lower()
    assert "SubPlan" in plan or "CORRELATED" in plan  # each looked up for its record
