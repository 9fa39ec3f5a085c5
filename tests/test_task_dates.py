"""A task's dates: on time by the later of its due date and its nominal one, for every reader;
a completed task keeps its dates and verdict when a rule changes, the others follow the rule."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Date, Engine, bindparam, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker
from tests import factories
from tests.evidence_support import add_to_task
from tests.helpers import shipped_catalog
from tests.storage_samples import PDF

import obligations.audit as audit
from obligations.accounts.access import operator
from obligations.evidence import records as evidence
from obligations.evidence.intake import Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.ledger.period import calendar_year
from obligations.ledger.service import compose_unit_ledger
from obligations.ledger.summary import task_outcomes
from obligations.models import AuditEntry, EvidenceRecord, GenerationStamp, Task
from obligations.rules.catalog import Catalog
from obligations.rules.schema import DateOffset
from obligations.schema import alembic_config, upgrade
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


def with_rule(catalog: Catalog, rule_id: str, **fields: object) -> Catalog:
    rules = [
        replace(r, rule=r.rule.model_copy(update=fields)) if r.rule.id == rule_id else r
        for r in catalog.rules
    ]
    return Catalog(
        catalog.ledger, rules, catalog.indicators, catalog.holidays, catalog.holidays_file
    )


# Due five days before the month's end, two records needed: October's study would fall due
# on Monday the 26th, November's on Wednesday the 25th, December's on Friday the 25th.
STRICTER = with_rule(shipped_catalog(), RULE, due=DateOffset(anchor="end", days=-5), min_count=2)


def dates(task: Task) -> tuple[date, date | None, date, int]:
    return (task.opens_on, task.nominal_due_on, task.due_on, task.min_count)


def test_a_rule_change_keeps_a_completed_tasks_dates_and_verdict_and_moves_the_open_ones(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    unit = college["U01"]
    with sessions.begin() as session:
        october = study(session, unit, "2026-10")
        record(session, store, october, date(2026, 10, 28), date(2026, 10, 28))
        kept = dates(october)
        assert task_state(session, october, today=TODAY, due_soon_days=7) is TaskStatus.DONE
    with sessions.begin() as session:
        report = generate_tasks(session, STRICTER, through=THROUGH, now=NOW + timedelta(days=1))
    with sessions() as session:
        october = study(session, unit, "2026-10")
        november = study(session, unit, "2026-11")
        december = study(session, unit, "2026-12")
        assert task_state(session, october, today=TODAY, due_soon_days=7) is TaskStatus.DONE
        assert dates(october) == kept
        assert dates(november)[1:] == (date(2026, 11, 25), date(2026, 11, 25), 2)
        assert dates(december)[1:] == (date(2026, 12, 26), date(2026, 12, 25), 2)
        touched = set(
            session.scalars(
                select(AuditEntry.entity_id).where(AuditEntry.action == audit.Action.TASK_UPDATE)
            )
        )
        assert october.id not in touched and {november.id, december.id} <= touched
    # Every unit's 12 monthly studies but U01's October (U02 holds them too).
    assert report.updated == 2 * 12 - 1


def test_a_task_no_longer_complete_follows_the_rule_again(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    unit = college["U01"]
    with sessions.begin() as session:
        first = record(
            session, store, study(session, unit, "2026-10"), date(2026, 10, 28), date(2026, 10, 28)
        )
    with sessions.begin() as session:
        generate_tasks(session, STRICTER, through=THROUGH, now=NOW)
        assert study(session, unit, "2026-10").due_on == date(2026, 10, 30)
        evidence.withdraw(session, record_id=first, reason="传错了", by=operator("张书记"), now=NOW)
    with sessions.begin() as session:
        generate_tasks(session, STRICTER, through=THROUGH, now=NOW)
        october = study(session, unit, "2026-10")
        assert dates(october)[1:] == (date(2026, 10, 26), date(2026, 10, 26), 2)


def test_the_migration_keeps_every_verdict_and_the_next_generation_fills_the_nominal_dates(
    engine: Engine, committed_sessions: sessionmaker[Session], store: LocalBlobStore
) -> None:
    sessions = committed_sessions  # the migration runs on connections of its own
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        unit, branch = orgs["U01"].id, orgs["B1"].id
        meeting = session.scalars(
            select(Task).where(
                Task.rule_id == "branch-committee-meeting",
                Task.organization_id == branch,
                Task.period_key == "2026-10",
            )
        ).one()
        for task in (study(session, unit, "2026-10"), meeting):
            record(session, store, task, date(2026, 10, 31), date(2026, 10, 31))
        ids = {"study": study(session, unit, "2026-10").id, "meeting": meeting.id}
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0012")
    upgrade(engine)

    def states() -> dict[str, tuple[date | None, TaskStatus, tuple[int, int]]]:
        with sessions() as session:
            counts = dashboard.item_counts(
                session, unit_id=unit, year=2026, today=TODAY, due_soon_days=7
            )
            found = {}
            for name, task_id in ids.items():
                task = session.get_one(Task, task_id)
                state = task_state(session, task, today=TODAY, due_soon_days=7)
                found[name] = (
                    task.nominal_due_on,
                    state,
                    _settled(counts[task.ledger_item].by_status),
                )
            return found

    # Not known yet: the due date alone decides, as it did before the upgrade.
    late = TaskStatus.DONE_LATE
    assert states() == {"study": (None, late, (0, 1)), "meeting": (None, late, (0, 1))}
    # The next generation re-plans every rule (the planning version changed; here: full).
    # The study's rule still gives its due date: its nominal date is learnt and it is on time.
    # The meeting's rule has changed since it was completed: its verdict stays as given.
    changed = with_rule(shipped_catalog(), "branch-committee-meeting", due=DateOffset(days=-5))
    with sessions.begin() as session:
        generate_tasks(session, changed, through=THROUGH, now=NOW, full=True)
        unknown = session.scalar(
            select(func.count()).select_from(Task).where(Task.nominal_due_on.is_(None))
        )
    assert unknown == 0
    assert states() == {
        "study": (date(2026, 10, 31), TaskStatus.DONE, (1, 0)),
        "meeting": (date(2026, 10, 30), late, (0, 1)),
    }


def test_after_migration_0015_a_record_without_a_file_no_longer_completes_its_task_for_anyone(
    engine: Engine, committed_sessions: sessionmaker[Session], store: LocalBlobStore
) -> None:
    """A database upgraded before files were required: October's study was closed by a record
    without a file, November's by one without a file and, later, one with. After the upgrade
    October's is owed again for every reader and November's completion moves to the record
    with a file; the ledger asks for October's material."""
    sessions = committed_sessions  # the migration runs on connections of its own
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        unit = orgs["U01"].id
        october, november = study(session, unit, "2026-10"), study(session, unit, "2026-11")
        ids = {"october": october.id, "november": november.id}
        record(session, store, november, date(2026, 11, 5), date(2026, 11, 20))
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0014")
        # What the code before 0015 recorded and stored: records without files that counted.
        for task_id, held_on in (
            (ids["october"], date(2026, 10, 20)),
            (ids["november"], date(2026, 11, 3)),
        ):
            connection.execute(
                insert(EvidenceRecord.__table__).values(
                    task_id=task_id, unit_id=unit, ledger_item="2.4", year=2026,
                    title="中心组学习", held_on=held_on, kind="MINUTES", recorded_by="张书记",
                    recorded_at=local(held_on), review_state="ACCEPTED",
                )
            )  # fmt: skip
            connection.execute(
                text("UPDATE task SET done_on = :day WHERE id = :id").bindparams(
                    bindparam("day", type_=Date())
                ),
                {"day": held_on, "id": task_id},
            )
        stamps = connection.execute(text("SELECT count(*) FROM generation_stamp")).scalar_one()
        assert stamps > 0
    with sessions() as session:  # the tallies counted both tasks as done before the upgrade
        counts = dashboard.item_counts(session, unit_id=unit, year=2026, today=TODAY,
                                       due_soon_days=7)  # fmt: skip
        assert _settled(counts["2.4"].by_status)[0] >= 2
    upgrade(engine)
    with sessions() as session:
        october = session.get_one(Task, ids["october"])
        november = session.get_one(Task, ids["november"])
        assert (october.done_on, november.done_on) == (None, date(2026, 11, 20))
        seen = every_reader(session, unit, october)
        ledger = compose_unit_ledger(
            session, shipped_catalog(), unit_code="U01", period=calendar_year(2026), today=TODAY
        )
        (row,) = [r for r in ledger.document.rows if r.item_id == "2.4"]
        rule_stamped = session.scalar(
            select(func.count()).select_from(GenerationStamp).where(GenerationStamp.rule_id == RULE)
        )
    assert seen == {  # the item's and the unit's counts: November's study alone is done
        "python": TaskStatus.OVERDUE,
        "listing": TaskStatus.OVERDUE,
        "item tally": (1, 0),
        "month tally": (0, 0),
        "summary": (1, 0),
        "ledger": (0, False),
    }
    assert "中心组理论学习：10月未附佐证材料，待补交" in row.gaps
    # Held, its material owed: not among the months the study was not held.
    assert "10月" not in row.gaps.replace("10月未附佐证材料", "")
    assert rule_stamped == 0  # the reopened task's rule is re-planned by the next generation


def test_a_rule_expecting_no_file_lets_a_bare_record_close_its_task_and_a_later_change_keeps_it(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    unit = college["U01"]
    no_file = with_rule(shipped_catalog(), RULE, file_required=False)
    with sessions.begin() as session:
        generate_tasks(session, no_file, through=THROUGH, now=NOW)
        october = study(session, unit, "2026-10")
        assert not october.file_required
        add_to_task(
            session,
            store,
            POLICY,
            task_id=october.id,
            data=EvidenceInput(title="中心组学习", held_on=date(2026, 10, 20)),
            actor="张书记",
            now=local(date(2026, 10, 20)),
        )
        assert task_state(session, october, today=TODAY, due_soon_days=7) is TaskStatus.DONE
    with sessions.begin() as session:  # the rule requires files again
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
    with sessions() as session:
        october, november = study(session, unit, "2026-10"), study(session, unit, "2026-11")
        # The completed task keeps what its verdict was given on; the open one follows the rule.
        assert (october.file_required, november.file_required) == (False, True)
        assert task_state(session, october, today=TODAY, due_soon_days=7) is TaskStatus.DONE
