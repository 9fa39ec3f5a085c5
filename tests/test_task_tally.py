"""The stored completion date and the tallies the database keeps agree with the records.

``task.done_on`` is kept by ``refresh_done_on`` (called by every service that changes records or
``min_count``); ``task_tally`` and ``task_item_tally`` are kept by triggers on ``task``. After each
operation both are compared with what the records and the task rows say.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker
from tests import factories
from tests.evidence_support import add_to_task
from tests.helpers import shipped_catalog
from tests.storage_samples import PDF

from obligations.accounts.access import operator
from obligations.evidence import records as evidence
from obligations.evidence.intake import Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.models import Task
from obligations.models.tasks import TaskItemTally, TaskTally
from obligations.rules.catalog import Catalog
from obligations.schema import alembic_config, upgrade
from obligations.tasks import dashboard, waivers
from obligations.tasks.generation import generate_tasks
from obligations.tasks.state import recorded_on_by_task
from obligations.tasks.status import completed_on
from obligations.vocabulary import EvidenceKind

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
POLICY = EvidencePolicy(limits=UploadLimits(max_bytes=10_000))
RULE = "central-group-study"


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "evidence")


@pytest.fixture
def college(sessions: sessionmaker[Session]) -> dict[str, int]:
    return make_college(sessions)


def make_college(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=date(2026, 12, 31), now=NOW)
        return {code: org.id for code, org in orgs.items()}


def study(session: Session, college: dict[str, int], month: str) -> Task:
    return session.scalars(
        select(Task).where(
            Task.rule_id == RULE, Task.unit_id == college["U01"], Task.period_key == month
        )
    ).one()


def add(session: Session, store: LocalBlobStore, task: Task, day: date, now: datetime = NOW) -> int:
    record = add_to_task(
        session,
        store,
        POLICY,
        task_id=task.id,
        data=EvidenceInput(title="中心组学习", held_on=day, kind=EvidenceKind.MINUTES),
        uploads=[Upload("会议记录.pdf", io.BytesIO(PDF))],
        actor="张书记",
        now=now,
    )
    return record.id


def review(session: Session, record_id: int, *, accept: bool) -> None:
    evidence.review(
        session,
        POLICY,
        record_id=record_id,
        accept=accept,
        reason=None if accept else "不完整",
        by=operator("组织部"),
        now=NOW,
    )


def with_min_count(catalog: Catalog, rule_id: str, min_count: int) -> Catalog:
    rules = [
        replace(r, rule=r.rule.model_copy(update={"min_count": min_count}))
        if r.rule.id == rule_id
        else r
        for r in catalog.rules
    ]
    return Catalog(
        catalog.ledger, rules, catalog.indicators, catalog.holidays, catalog.holidays_file
    )


def assert_consistent(session: Session) -> None:
    """done_on is what the records say; each tally is a recount of the task rows."""
    session.flush()
    tasks = list(session.scalars(select(Task)))
    recorded = recorded_on_by_task(session, [t.id for t in tasks])
    wrong = {
        t.id: (t.done_on, expected)
        for t in tasks
        if t.done_on != (expected := completed_on(recorded.get(t.id, []), t.min_count))
    }
    assert wrong == {}
    assert tally(session, TaskTally) == recount(tasks, item=False)
    assert tally(session, TaskItemTally) == recount(tasks, item=True)


def tally(
    session: Session, table: type[TaskTally] | type[TaskItemTally]
) -> Counter[tuple[object, ...]]:
    got: Counter[tuple[object, ...]] = Counter()
    for row in session.scalars(select(table)):
        assert row.n > 0  # emptied rows are removed
        item = (row.ledger_item,) if isinstance(row, TaskItemTally) else ()
        got[(row.unit_id, *item, row.due_on, row.opens_on, row.outcome)] += row.n
    return got


def recount(tasks: list[Task], *, item: bool) -> Counter[tuple[object, ...]]:
    counts: Counter[tuple[object, ...]] = Counter()
    for t in tasks:
        if t.done_on is not None:
            on_time_by = max(t.due_on, t.nominal_due_on or t.due_on)
            outcome = "done" if t.done_on <= on_time_by else "done_late"
        elif t.retired_at is not None:
            outcome = "retired"
        elif t.waived_at is not None:
            outcome = "waived"
        else:
            outcome = "open"
        month = t.due_on.replace(day=1)
        due, opens = (t.due_on, t.opens_on) if outcome == "open" else (month, month)
        key = (t.ledger_item,) if item else ()
        counts[(t.unit_id, *key, due, opens, outcome)] += 1
    return counts


def test_done_on_and_the_tallies_follow_every_change_to_records(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        assert_consistent(session)
        task = study(session, college, "2026-11")
        first = add(session, store, task, date(2026, 11, 3))
        assert task.done_on == TODAY
        assert_consistent(session)
        review(session, first, accept=False)
        assert task.done_on is None
        assert_consistent(session)
        review(session, first, accept=True)
        assert task.done_on == TODAY
        assert_consistent(session)
        evidence.withdraw(session, record_id=first, reason="重复", by=operator("张书记"), now=NOW)
        assert task.done_on is None
        assert_consistent(session)
        october = study(session, college, "2026-10")
        add(session, store, october, date(2026, 10, 20))  # recorded after its due date
        assert october.done_on == TODAY
        assert_consistent(session)


def test_a_late_record_crossing_local_midnight_files_the_task_as_done_late(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        task = study(session, college, "2026-09")  # due Wednesday 30 September, not moved
        assert task.nominal_due_on == task.due_on
        # 16:00 UTC on the due date is midnight in Shanghai: the next local day.
        due_midnight = datetime.combine(task.due_on, datetime.min.time(), UTC)
        add(session, store, task, date(2026, 9, 9), now=due_midnight + timedelta(hours=16))
        assert task.done_on == task.due_on + timedelta(days=1)
        assert_consistent(session)
        summaries = dashboard.item_counts(
            session, unit_id=college["U01"], year=2026, today=TODAY, due_soon_days=7
        )
        assert summaries[task.ledger_item].by_status.get(dashboard.TaskStatus.DONE_LATE) == 1


def test_done_on_follows_a_change_of_min_count_by_generation(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    raised = with_min_count(shipped_catalog(), RULE, 2)
    with sessions.begin() as session:
        generate_tasks(session, raised, through=date(2026, 12, 31), now=NOW)
        task = study(session, college, "2026-11")
        add(session, store, task, date(2026, 11, 3))
        assert (task.min_count, task.done_on) == (2, None)
        assert_consistent(session)
    with sessions.begin() as session:
        generate_tasks(session, shipped_catalog(), through=date(2026, 12, 31), now=NOW)
        task = study(session, college, "2026-11")
        assert (task.min_count, task.done_on) == (1, TODAY)
        assert_consistent(session)
    # Completed, the task keeps the minimum it was completed under (and so its verdict).
    with sessions.begin() as session:
        generate_tasks(session, raised, through=date(2026, 12, 31), now=NOW)
        task = study(session, college, "2026-11")
        assert (task.min_count, task.done_on) == (1, TODAY)
        assert_consistent(session)


def test_the_tallies_follow_waivers_retirement_date_changes_and_deletion(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        task = study(session, college, "2026-09")
        waivers.waive(session, task_id=task.id, reason="不适用", by=operator("组织部"), now=NOW)
        assert_consistent(session)
        waivers.unwaive(session, task_id=task.id, by=operator("组织部"), now=NOW)
        assert_consistent(session)
        other = study(session, college, "2026-08")
        other.due_on += timedelta(days=3)
        other.retired_at, other.retired_reason = NOW, "测试"
        assert_consistent(session)
        other.unit_id = college["U02"]
        assert_consistent(session)
        session.execute(delete(Task).where(Task.id == other.id))
        session.expire_all()
        assert_consistent(session)


def test_the_migration_fills_done_on_and_the_tallies_from_existing_data(
    engine: Engine, committed_sessions: sessionmaker[Session], store: LocalBlobStore
) -> None:
    sessions = committed_sessions  # the migration runs on connections of its own
    college = make_college(sessions)
    with sessions.begin() as session:
        for month, day in (("2026-09", 10), ("2026-10", 20), ("2026-11", 3)):
            first = add(
                session, store, study(session, college, month), date(2026, int(month[5:]), day)
            )
        review(session, first, accept=False)
        waivers.waive(
            session,
            task_id=study(session, college, "2026-08").id,
            reason="不适用",
            by=operator("组织部"),
            now=NOW,
        )
        expected = {t.id: t.done_on for t in session.scalars(select(Task))}
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    upgrade(engine)
    with sessions() as session:
        assert {t.id: t.done_on for t in session.scalars(select(Task))} == expected
        assert sum(1 for d in expected.values() if d is not None) == 2
        assert_consistent(session)
