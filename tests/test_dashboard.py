"""The SQL counts and listings behind the pages agree with the per-task state decision."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests import factories
from tests.helpers import shipped_catalog

from obligations.models import EvidenceFile, EvidenceRecord, Organization, Task
from obligations.tasks import dashboard, listing
from obligations.tasks.generation import generate_tasks
from obligations.tasks.listing import TaskFilter, TaskOrder, year_span
from obligations.tasks.state import recorded_on_by_task, refresh_done_on, state_of
from obligations.tasks.status import TaskStatus
from obligations.vocabulary import EvidenceKind, ReviewState

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


def scatter_records(session: Session, seed: int = 7) -> None:
    """Records on a random third of the tasks: on time, late (also across local midnight),
    rejected, withdrawn, some without a file."""
    rng = random.Random(seed)
    tasks = list(session.scalars(select(Task).order_by(Task.id)))
    for task in rng.sample(tasks, len(tasks) // 3):
        for _ in range(rng.choice([1, 1, 2])):
            # 16:00 UTC is midnight in Shanghai: the day after the due date, locally.
            recorded = datetime.combine(task.due_on, datetime.min.time(), UTC) + timedelta(
                hours=rng.choice([-30, 10, 15, 16, 40])
            )
            session.add(
                EvidenceRecord(
                    task_id=task.id,
                    unit_id=task.unit_id,
                    ledger_item=task.ledger_item,
                    year=task.period_start.year,
                    title="记录",
                    held_on=task.period_start,
                    kind=EvidenceKind.MINUTES,
                    recorded_by="测试",
                    recorded_at=recorded,
                    review_state=rng.choice(list(ReviewState)),
                    withdrawn_at=NOW if rng.random() < 0.1 else None,
                    files=[_file()] if rng.random() < 0.8 else [],  # without: never counts
                )
            )
    for task in rng.sample(tasks, 10):
        task.waived_at, task.waived_by, task.waived_reason = NOW, "测试", "不适用"
    # Written around the evidence service: refresh the stored completion dates as it does.
    refresh_done_on(session, [t.id for t in tasks])


def _file() -> EvidenceFile:
    return EvidenceFile(
        position=1, sha256="0" * 64, size=1, media_type="application/pdf", original_name="a.pdf"
    )


def decided_from_records(session: Session) -> dict[int, tuple[Task, TaskStatus]]:
    """Every task with its state on TODAY, decided in Python from its records."""
    tasks = list(session.scalars(select(Task)))
    recorded = recorded_on_by_task(session, [t.id for t in tasks])
    return {
        t.id: (t, state_of(t, recorded.get(t.id, []), today=TODAY, due_soon_days=7)) for t in tasks
    }


def test_unit_counts_agree_with_the_state_of_every_task(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=date(2026, 12, 31), now=NOW)
        scatter_records(session)
    with sessions() as session:
        decided = decided_from_records(session)
        codes = {i: c for i, c in session.execute(select(Organization.id, Organization.code))}
        summaries = dashboard.unit_summaries(session, year=2026, today=TODAY, due_soon_days=7)
    expected: Counter[tuple[str, int, TaskStatus]] = Counter(
        (codes[t.unit_id], t.due_on.month, s)
        for t, s in decided.values()
        if t.due_on.year == 2026 and s is not TaskStatus.RETIRED
    )
    got: Counter[tuple[str, int, TaskStatus]] = Counter()
    for summary in summaries:
        for month, counts in summary.months.items():
            for status, n in counts.by_status.items():
                if status is not TaskStatus.RETIRED:
                    got[(summary.code, month, status)] += n
    assert got == expected
    assert {s for (_, _, s) in expected} >= {TaskStatus.DONE, TaskStatus.DONE_LATE}


def test_the_listing_carries_the_state_decided_from_the_records(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=date(2026, 12, 31), now=NOW)
        scatter_records(session, seed=11)
        unit_id = orgs["U01"].id
    with sessions() as session:
        decided = decided_from_records(session)
        where = TaskFilter(unit_id=unit_id, due_within=year_span(2026))
        rows = listing.list_tasks(session, where, today=TODAY, due_soon_days=7)
        total = listing.count_tasks(session, where, today=TODAY, due_soon_days=7)
        counts = dashboard.item_counts(
            session, unit_id=unit_id, year=2026, today=TODAY, due_soon_days=7
        )
        page = listing.list_tasks(
            session, where, today=TODAY, due_soon_days=7, order=TaskOrder.INDEX, limit=10, offset=5
        )
        overdue = listing.list_tasks(
            session,
            TaskFilter(unit_id=unit_id, due_within=year_span(2026), statuses=[TaskStatus.OVERDUE]),
            today=TODAY,
            due_soon_days=7,
        )
        recorded = recorded_on_by_task(session, [r.id for r in page])
    expected = {
        i: s
        for i, (t, s) in decided.items()
        if t.unit_id == unit_id and t.due_on.year == 2026 and s is not TaskStatus.RETIRED
    }
    assert {r.id: r.status for r in rows} == expected
    assert total == len(expected)
    assert {r.id for r in overdue} == {i for i, s in expected.items() if s is TaskStatus.OVERDUE}
    assert dashboard.total_of(counts, []) == total
    assert dashboard.total_of(counts, [TaskStatus.OVERDUE]) == len(overdue)
    by_item: Counter[tuple[str, TaskStatus]] = Counter((r.ledger_item, r.status) for r in rows)
    assert by_item == Counter(
        {
            (item, s): n
            for item, c in counts.items()
            for s, n in c.by_status.items()
            if s is not TaskStatus.RETIRED
        }
    )
    by_due = sorted(rows, key=lambda r: (r.due_on, r.id))
    assert [r.id for r in page] == [r.id for r in by_due[5:15]]
    assert [r.done_count for r in page] == [len(recorded.get(r.id, [])) for r in page]


def test_each_listing_filter_selects_the_tasks_it_names(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=date(2026, 12, 31), now=NOW)
        scatter_records(session, seed=3)
    with sessions() as session:
        decided = decided_from_records(session)
        tasks = [t for t, _ in decided.values()]
        person_id = next(t.person_id for t in tasks if t.person_id is not None)
        branch_id = next(t.organization_id for t in tasks if t.organization_id != t.unit_id)
        october = (date(2026, 10, 1), date(2026, 10, 31))
        cases: list[tuple[TaskFilter, Callable[[Task], bool]]] = [
            (
                TaskFilter(rule_id="central-group-study"),
                lambda t: t.rule_id == "central-group-study",
            ),
            (TaskFilter(person_id=person_id), lambda t: t.person_id == person_id),
            (TaskFilter(branch_id=branch_id), lambda t: t.organization_id == branch_id),
            (TaskFilter(period_key="2026-10"), lambda t: t.period_key == "2026-10"),
            (TaskFilter(due_within=october), lambda t: october[0] <= t.due_on <= october[1]),
        ]
        for where, wanted in cases:
            listed = listing.list_tasks(session, where, today=TODAY, due_soon_days=7)
            expected = {
                i for i, (t, s) in decided.items() if wanted(t) and s is not TaskStatus.RETIRED
            }
            assert expected and {r.id for r in listed} == expected, where
            assert listing.count_tasks(session, where, today=TODAY, due_soon_days=7) == len(listed)
