"""A task's dates: on time by the later of its due date and its nominal one, for every reader."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests import factories
from tests.evidence_support import add_to_task
from tests.helpers import shipped_catalog
from tests.storage_samples import PDF

from obligations.evidence.intake import Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.ledger.period import calendar_year
from obligations.ledger.service import compose_unit_ledger
from obligations.ledger.summary import task_outcomes
from obligations.models import Task
from obligations.tasks import dashboard, listing
from obligations.tasks.generation import generate_tasks
from obligations.tasks.listing import TaskFilter, year_span
from obligations.tasks.state import task_state
from obligations.tasks.status import TaskStatus
from obligations.vocabulary import EvidenceKind

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
THROUGH = date(2026, 12, 31)
POLICY = EvidencePolicy(limits=UploadLimits(max_bytes=10_000))
RULE = "central-group-study"  # monthly, due on the month's last day moved earlier to a workday


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "evidence")


@pytest.fixture
def college(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        return {code: org.id for code, org in orgs.items()}


def study(session: Session, unit_id: int, month: str) -> Task:
    return session.scalars(
        select(Task).where(Task.rule_id == RULE, Task.unit_id == unit_id, Task.period_key == month)
    ).one()


def local(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock in Shanghai on ``day``, as a UTC instant."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


def record(
    session: Session, store: LocalBlobStore, task: Task, held_on: date, recorded: date
) -> int:
    """A record of the activity held on ``held_on``, made at 10:00 local on ``recorded``."""
    return add_to_task(
        session,
        store,
        POLICY,
        task_id=task.id,
        data=EvidenceInput(title="中心组学习", held_on=held_on, kind=EvidenceKind.MINUTES),
        uploads=[Upload("会议记录.pdf", io.BytesIO(PDF))],
        actor="张书记",
        now=local(recorded),
    ).id


def every_reader(session: Session, unit_id: int, task: Task) -> dict[str, Any]:
    """The task's state as each reader of lateness sees it on TODAY: the Python decision
    (task page, reminders, waivers), the listing (pages and API), the dashboard's tallies
    (overview and unit page), the college summary and the unit's ledger."""
    month = task.due_on.month
    rows = listing.list_tasks(
        session,
        TaskFilter(unit_id=unit_id, due_within=year_span(2026)),
        today=TODAY,
        due_soon_days=7,
    )
    items = dashboard.item_counts(session, unit_id=unit_id, year=2026, today=TODAY, due_soon_days=7)
    (summary,) = [
        s
        for s in dashboard.unit_summaries(session, year=2026, today=TODAY, due_soon_days=7)
        if s.unit_id == unit_id
    ]
    outcomes = task_outcomes(session, calendar_year(2026), TODAY)["U01"]
    ledger = compose_unit_ledger(
        session, shipped_catalog(), unit_code="U01", period=calendar_year(2026), today=TODAY
    )
    (row,) = [r for r in ledger.document.rows if r.item_id == task.ledger_item]
    return {
        "python": task_state(session, task, today=TODAY, due_soon_days=7),
        "listing": next(r.status for r in rows if r.id == task.id),
        "item tally": _settled(items[task.ledger_item].by_status),
        "month tally": _settled(summary.months[month].by_status),
        "summary": (outcomes.on_time, outcomes.late),
        "ledger": (ledger.late, "逾期登记" in row.implementation + row.gaps),
    }


def _settled(by_status: dict[TaskStatus, int]) -> tuple[int, int]:
    return by_status.get(TaskStatus.DONE, 0), by_status.get(TaskStatus.DONE_LATE, 0)


def test_an_activity_held_and_recorded_on_a_saturday_month_end_is_on_time_for_every_reader(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        october = study(session, college["U01"], "2026-10")
        record(session, store, october, date(2026, 10, 31), date(2026, 10, 31))
    with sessions() as session:
        october = study(session, college["U01"], "2026-10")
        assert every_reader(session, college["U01"], october) == {
            "python": TaskStatus.DONE,
            "listing": TaskStatus.DONE,
            "item tally": (1, 0),
            "month tally": (1, 0),
            "summary": (1, 0),
            "ledger": (0, False),
        }
        # Reminders and the listed due date keep the working day; the nominal date is kept beside.
        assert (october.due_on, october.nominal_due_on) == (date(2026, 10, 30), date(2026, 10, 31))


def test_a_record_made_the_day_after_the_nominal_due_date_is_late_for_every_reader(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        may = study(session, college["U01"], "2026-05")  # 31 May is a Sunday: due Friday 29th
        record(session, store, may, date(2026, 5, 31), date(2026, 6, 1))
    with sessions() as session:
        may = study(session, college["U01"], "2026-05")
        assert (may.due_on, may.nominal_due_on) == (date(2026, 5, 29), date(2026, 5, 31))
        assert every_reader(session, college["U01"], may) == {
            "python": TaskStatus.DONE_LATE,
            "listing": TaskStatus.DONE_LATE,
            "item tally": (0, 1),
            "month tally": (0, 1),
            "summary": (0, 1),
            "ledger": (1, True),
        }
