"""One task-state decision: the Python function, the SQL expression and the stored tallies.

All three are built from ``obligations.tasks.status.OUTCOMES``; the property test below checks
they agree on random tasks, records and days, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from alembic.script import ScriptDirectory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, sessionmaker
from tests import factories

from obligations.models import EvidenceFile, EvidenceRecord, Task
from obligations.models.tasks import TaskItemTally, TaskTally
from obligations.schema import alembic_config
from obligations.tasks.state import refresh_done_on
from obligations.tasks.state_sql import status_label, tally_label, trigger_outcome_sql
from obligations.tasks.status import (
    DAY_OUTCOMES,
    OUTCOMES,
    SETTLED,
    TaskStatus,
    Term,
    qualifies,
    task_status,
    terms_of,
)
from obligations.timeutil import local_date
from obligations.vocabulary import EvidenceKind, OrgKind, ReviewState, TallyOutcome

NOW = datetime(2026, 1, 1, tzinfo=UTC)
FIRST = date(2026, 1, 1)


def test_the_last_outcome_holds_whatever_the_task() -> None:
    assert OUTCOMES[-1].when == ()


def test_the_outcomes_that_depend_on_the_day_need_only_what_a_tally_row_keeps() -> None:
    needed = {t for o in DAY_OUTCOMES for c in o.when for t in terms_of(c)}
    assert needed <= {Term.OPENS_ON, Term.DUE_ON, Term.TODAY, Term.SOON}


def test_a_tally_stores_a_settled_state_or_open() -> None:
    assert {o.value for o in TallyOutcome} == {s.value for s in SETTLED} | {"open"}


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_the_trigger_migration_embeds_the_outcome_the_table_generates(dialect: Dialect) -> None:
    """A change to OUTCOMES fails this: write a migration that rebuilds the triggers."""
    migration = ScriptDirectory.from_config(alembic_config()).get_revision("0013")
    assert migration is not None
    assert trigger_outcome_sql(dialect, "{row}") == migration.module._OUTCOME


@dataclass(frozen=True)
class Record:
    days_from_due: int
    hour_utc: int  # 16:00 UTC and later is the next local day in Shanghai
    review: ReviewState
    withdrawn: bool
    has_file: bool

    def recorded_at(self, due_on: date) -> datetime:
        day = due_on + timedelta(days=self.days_from_due)
        return datetime.combine(day, time(self.hour_utc), UTC)

    def qualifies(self, file_required: bool) -> bool:
        return qualifies(
            withdrawn=self.withdrawn,
            rejected=self.review is ReviewState.REJECTED,
            has_file=self.has_file,
            file_required=file_required,
        )


@dataclass(frozen=True)
class Drawn:
    opens_in: int  # days after FIRST
    open_days: int
    moved: int | None  # days from the due date back to the nominal one (None: not known)
    min_count: int
    waived: bool
    retired: bool
    waiver_toggled: bool  # waived or unwaived after the records were added
    records: tuple[Record, ...]
    file_required: bool = True

    @property
    def opens_on(self) -> date:
        return FIRST + timedelta(days=self.opens_in)

    @property
    def due_on(self) -> date:
        return self.opens_on + timedelta(days=self.open_days)

    @property
    def nominal_due_on(self) -> date | None:
        return None if self.moved is None else self.due_on + timedelta(days=self.moved)

    def expected(self, today: date, due_soon_days: int) -> TaskStatus:
        return task_status(
            opens_on=self.opens_on,
            due_on=self.due_on,
            nominal_due_on=self.nominal_due_on,
            min_count=self.min_count,
            recorded_on=[
                local_date(r.recorded_at(self.due_on))
                for r in self.records
                if r.qualifies(self.file_required)
            ],
            today=today,
            due_soon_days=due_soon_days,
            waived=self.waived != self.waiver_toggled,
            retired=self.retired,
        )


RECORDS = st.builds(
    Record,
    days_from_due=st.integers(-20, 5),
    hour_utc=st.sampled_from([0, 10, 15, 16, 23]),
    review=st.sampled_from(list(ReviewState)),
    withdrawn=st.booleans(),
    has_file=st.booleans(),
)
TASKS = st.builds(
    Drawn,
    opens_in=st.integers(0, 90),
    open_days=st.integers(0, 40),
    # Moved earlier (nominal later), later (nominal earlier), not moved, or not known.
    moved=st.one_of(st.none(), st.integers(-4, 4)),
    min_count=st.integers(1, 3),
    waived=st.booleans(),
    retired=st.booleans(),
    waiver_toggled=st.booleans(),
    records=st.lists(RECORDS, max_size=4).map(tuple),
    file_required=st.booleans(),
)


def store(session: Session, unit_id: int, drawn: list[Drawn]) -> list[Task]:
    """The drawn tasks and their records, written as the services write them: the records
    then ``refresh_done_on``, then waivers changed."""
    tasks = [
        Task(
            rule_id="r",
            ledger_item=f"1.{i % 2}",
            unit_id=unit_id,
            organization_id=unit_id,
            scope_key=str(i),
            period_key="p",
            period_start=d.opens_on,
            period_end=d.due_on,
            opens_on=d.opens_on,
            due_on=d.due_on,
            nominal_due_on=d.nominal_due_on,
            min_count=d.min_count,
            file_required=d.file_required,
            provisional=False,
            waived_at=NOW if d.waived else None,
            retired_at=NOW if d.retired else None,
            created_at=NOW,
            updated_at=NOW,
        )
        for i, d in enumerate(drawn)
    ]
    session.add_all(tasks)
    session.flush()
    for task, d in zip(tasks, drawn, strict=True):
        session.add_all(
            EvidenceRecord(
                task_id=task.id,
                unit_id=unit_id,
                ledger_item=task.ledger_item,
                year=2026,
                title="记录",
                held_on=task.period_start,
                kind=EvidenceKind.MINUTES,
                recorded_by="测试",
                recorded_at=r.recorded_at(d.due_on),
                review_state=r.review,
                withdrawn_at=NOW if r.withdrawn else None,
                files=[_file()] if r.has_file else [],
            )
            for r in d.records
        )
    refresh_done_on(session, [t.id for t in tasks])
    for task, d in zip(tasks, drawn, strict=True):
        if d.waiver_toggled:
            task.waived_at = None if d.waived else NOW
    session.flush()
    return tasks


def _file() -> EvidenceFile:
    return EvidenceFile(
        position=1, sha256="0" * 64, size=1, media_type="application/pdf", original_name="a.pdf"
    )


def tally_states(
    session: Session,
    tally: type[TaskTally] | type[TaskItemTally],
    unit_id: int,
    today: date,
    due_soon_days: int,
) -> Counter[TaskStatus]:
    label = tally_label(tally, today=today, due_soon_days=due_soon_days)
    query = select(label, func.sum(tally.n)).where(tally.unit_id == unit_id).group_by(label)
    return Counter({TaskStatus(s): int(n) for s, n in session.execute(query)})


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    drawn=st.lists(TASKS, min_size=1, max_size=6),
    today=st.dates(FIRST - timedelta(days=10), FIRST + timedelta(days=150)),
    due_soon_days=st.integers(0, 10),
)
def test_python_sql_and_the_tallies_decide_the_same_state(
    sessions: sessionmaker[Session], drawn: list[Drawn], today: date, due_soon_days: int
) -> None:
    with sessions() as session:  # never committed: each example leaves nothing behind
        unit = factories.org(session, "U01", OrgKind.GENERAL_BRANCH)
        tasks = store(session, unit.id, drawn)
        expected = {
            t.id: d.expected(today, due_soon_days) for t, d in zip(tasks, drawn, strict=True)
        }
        label = status_label(today=today, due_soon_days=due_soon_days)
        in_sql = {
            i: TaskStatus(s)
            for i, s in session.execute(select(Task.id, label).where(Task.unit_id == unit.id))
        }
        assert in_sql == expected
        counted = Counter(expected.values())
        assert tally_states(session, TaskTally, unit.id, today, due_soon_days) == counted
        assert tally_states(session, TaskItemTally, unit.id, today, due_soon_days) == counted


def test_python_sql_and_the_tallies_agree_on_work_done_between_the_moved_and_nominal_dates(
    sessions: sessionmaker[Session],
) -> None:
    """By the later of the two due dates is on time; after both is late; with the nominal date
    not known (a task stored before migration 0013) the due date alone decides."""

    def drawn(moved: int | None, days_from_due: int) -> Drawn:
        record = Record(days_from_due, 2, ReviewState.ACCEPTED, withdrawn=False, has_file=True)
        return Drawn(0, 29, moved, 1, False, False, False, (record,))

    cases = {
        drawn(1, 1): TaskStatus.DONE,  # moved earlier by a day, recorded on the nominal day
        drawn(3, 3): TaskStatus.DONE,
        drawn(1, 2): TaskStatus.DONE_LATE,  # the day after the nominal date
        drawn(-2, 0): TaskStatus.DONE,  # moved later: the moved date is the later one
        drawn(-2, 1): TaskStatus.DONE_LATE,
        drawn(None, 1): TaskStatus.DONE_LATE,
        drawn(0, 0): TaskStatus.DONE,
    }
    today = FIRST + timedelta(days=60)
    with sessions() as session:
        unit = factories.org(session, "U01", OrgKind.GENERAL_BRANCH)
        tasks = store(session, unit.id, list(cases))
        assert [d.expected(today, 7) for d in cases] == list(cases.values())
        label = status_label(today=today, due_soon_days=7)
        in_sql = dict(session.execute(select(Task.id, label).where(Task.unit_id == unit.id)).all())
        assert [TaskStatus(in_sql[t.id]) for t in tasks] == list(cases.values())
        counted = Counter(cases.values())
        assert tally_states(session, TaskTally, unit.id, today, 7) == counted
        assert tally_states(session, TaskItemTally, unit.id, today, 7) == counted


def test_a_record_without_a_file_closes_its_task_only_where_the_rule_expects_no_file(
    sessions: sessionmaker[Session],
) -> None:
    """Python, SQL and the tallies alike: the same file-less record, on time, leaves a task
    whose rule requires a file overdue and completes one whose rule does not."""
    unfiled = Record(0, 2, ReviewState.ACCEPTED, withdrawn=False, has_file=False)
    filed = Record(0, 2, ReviewState.ACCEPTED, withdrawn=False, has_file=True)
    cases = {
        Drawn(0, 29, None, 1, False, False, False, (unfiled,)): TaskStatus.OVERDUE,
        Drawn(0, 29, None, 1, False, False, False, (unfiled,), False): TaskStatus.DONE,
        Drawn(0, 29, None, 1, False, False, False, (unfiled, filed)): TaskStatus.DONE,
    }
    today = FIRST + timedelta(days=60)
    with sessions() as session:
        unit = factories.org(session, "U01", OrgKind.GENERAL_BRANCH)
        tasks = store(session, unit.id, list(cases))
        assert [d.expected(today, 7) for d in cases] == list(cases.values())
        label = status_label(today=today, due_soon_days=7)
        in_sql = dict(session.execute(select(Task.id, label).where(Task.unit_id == unit.id)).all())
        assert [TaskStatus(in_sql[t.id]) for t in tasks] == list(cases.values())
        assert tally_states(session, TaskTally, unit.id, today, 7) == Counter(cases.values())
