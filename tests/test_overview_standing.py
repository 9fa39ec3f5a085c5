"""The overview's numbers from the database (both backends): each unit's standing of the year
so far, its month cells and this month's overdue count, from the tallies the triggers keep,
on a small college whose every task is written here."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import true
from sqlalchemy.orm import Session, sessionmaker
from tests import factories

from obligations.models import Organization, Task
from obligations.tasks import dashboard
from obligations.tasks.ranking import HEAT_BANDS, Outcomes, heat_band, month_cell
from obligations.tasks.status import TaskStatus
from obligations.vocabulary import OrgKind

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


def add_task(
    session: Session,
    unit: Organization,
    due_on: date,
    *,
    done_on: date | None = None,
    waived: bool = False,
    n: int = 0,
) -> None:
    """A task of ``unit`` due on ``due_on``, completed on ``done_on`` (the stored completion
    date the evidence service keeps, written directly: the tallies follow it by trigger)."""
    session.add(
        Task(
            rule_id="branch-committee-meeting",
            ledger_item="4.3",
            unit_id=unit.id,
            organization_id=unit.id,
            scope_key=f"{unit.code}-{due_on}-{n}",
            period_key=f"{due_on:%Y-%m}",
            period_start=due_on.replace(day=1),
            period_end=due_on,
            opens_on=due_on.replace(day=1),
            due_on=due_on,
            min_count=1,
            done_on=done_on,
            waived_at=NOW if waived else None,
            waived_by="测试" if waived else None,
            waived_reason="不适用" if waived else None,
            created_at=NOW,
            updated_at=NOW,
        )
    )


@pytest.fixture
def college(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        u01, u02 = orgs["U01"], orgs["U02"]
        factories.org(session, "U03", OrgKind.DIRECT_BRANCH, orgs["college"], name="第三支部")
        # U01: due before today, 2 on time, 1 late, 1 missed; a waived one; one due in
        # November not yet passed; one of 2025 (another year).
        add_task(session, u01, date(2026, 3, 31), done_on=date(2026, 3, 20))
        add_task(session, u01, date(2026, 6, 30), done_on=date(2026, 6, 30))
        add_task(session, u01, date(2026, 9, 30), done_on=date(2026, 10, 8))
        add_task(session, u01, date(2026, 11, 20))  # missed: overdue this month
        add_task(session, u01, date(2026, 10, 31), waived=True)
        add_task(session, u01, date(2026, 11, 30))
        add_task(session, u01, date(2025, 12, 31), done_on=date(2025, 12, 1))
        # U02: 17 tasks due in November: 3 done on time, 14 due on the 30th, not done.
        for n in range(3):
            add_task(session, u02, date(2026, 11, 10), done_on=date(2026, 11, 9), n=n)
        for n in range(14):
            add_task(session, u02, date(2026, 11, 30), n=n)
        # and two of April, both done on time
        for n in range(2):
            add_task(session, u02, date(2026, 4, 30), done_on=date(2026, 4, 1), n=n)


def summaries(sessions: sessionmaker[Session]) -> dict[str, dashboard.UnitSummary]:
    with sessions() as session:
        found = dashboard.unit_summaries(session, year=2026, today=TODAY, due_soon_days=7)
    return {s.code: s for s in found}


def test_each_units_standing_counts_the_tasks_due_so_far_exactly(
    sessions: sessionmaker[Session], college: None
) -> None:
    standings = {s.code: s for s in dashboard.unit_standings(summaries(sessions).values())}
    u01, u02, u03 = standings["U01"], standings["U02"], standings["U03"]
    assert u01.so_far == Outcomes(on_time=2, late=1, missed=1, owed=0)
    assert (u01.so_far.due, u01.so_far.on_time_rate, u01.so_far.completion_rate) == (
        4, 0.5, 0.75
    )  # fmt: skip
    assert u02.so_far == Outcomes(on_time=5, late=0, missed=0)
    assert u02.so_far.completion_rate == 1.0
    assert (u02.rank, u01.rank, u03.rank) == (1, 2, None)
    assert u03.so_far.due == 0 and u03.name == "第三支部"
    assert (u01.due_soon, u02.due_soon) == (1, 14)


def test_a_month_with_3_of_17_tasks_done_is_18_percent_and_not_green(
    sessions: sessionmaker[Session], college: None
) -> None:
    u02 = summaries(sessions)["U02"]
    november = month_cell(u02.months[11].outcomes, year=2026, month=11, today=TODAY)
    assert november is not None and november.outcomes == Outcomes(on_time=3, owed=14)
    assert november.outcomes.completion_rate == pytest.approx(0.176, abs=0.001)
    assert november.in_progress and november.band is None  # shown as 18 %, not coloured
    # On December 1st November is over: its 14 are missed, and it is red.
    with sessions() as session:
        later = dashboard.unit_summaries(
            session, year=2026, today=date(2026, 12, 1), due_soon_days=7
        )
    u02_later = next(s for s in later if s.code == "U02")
    past = month_cell(u02_later.months[11].outcomes, year=2026, month=11, today=date(2026, 12, 1))
    assert past is not None and past.outcomes == Outcomes(on_time=3, missed=14)
    assert (
        past.band is HEAT_BANDS[0]
        and heat_band(past.outcomes.completion_rate) is not HEAT_BANDS[-1]
    )
    april = month_cell(u02.months[4].outcomes, year=2026, month=4, today=TODAY)
    assert april is not None and april.band is HEAT_BANDS[-1]
    assert month_cell(u02.months[12].outcomes, year=2026, month=12, today=TODAY) is None


def test_this_months_overdue_counts_only_tasks_due_this_month_and_not_done(
    sessions: sessionmaker[Session], college: None
) -> None:
    codes = {s.unit_id: s.code for s in summaries(sessions).values()}
    with sessions() as session:
        november = dashboard.overdue_counts(
            session, due_within=(date(2026, 11, 1), date(2026, 11, 30)), today=TODAY,
            due_soon_days=7,
        )  # fmt: skip
        on_december_first = dashboard.overdue_counts(
            session, due_within=(date(2026, 11, 1), date(2026, 11, 30)),
            today=date(2026, 12, 1), due_soon_days=7,
        )  # fmt: skip
    assert {codes[u]: n for u, n in november.items()} == {"U01": 1}
    assert {codes[u]: n for u, n in on_december_first.items()} == {"U01": 2, "U02": 14}


def test_the_first_overdue_tasks_of_each_unit_are_listed_up_to_the_limit(
    sessions: sessionmaker[Session], college: None
) -> None:
    with sessions() as session:
        units = [
            s.unit_id
            for s in dashboard.unit_summaries(session, year=2026, today=TODAY, due_soon_days=7)
        ]
        first = dashboard.first_overdue_by_unit(
            session,
            unit_ids=units,
            due_within=(date(2026, 11, 1), date(2026, 11, 30)),
            visible=true(),
            today=date(2026, 12, 1),
            due_soon_days=7,
            per_unit=10,
            titles={"branch-committee-meeting": "支部委员会会议"},
        )
    assert {code: len(tasks) for code, tasks in first.items()} == {"U01": 2, "U02": 10}
    assert [t.due_on for t in first["U01"]] == [date(2026, 11, 20), date(2026, 11, 30)]
    assert {t.title for t in first["U02"]} == {"支部委员会会议"}
    assert all(t.status is TaskStatus.OVERDUE for t in first["U01"] + first["U02"])
