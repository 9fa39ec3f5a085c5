"""Persisting tasks: idempotent, never deleting, following the rules and the data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests import factories
from tests.factories import NOW
from tests.helpers import shipped_catalog

from obligations.models import AcademicYear, Organization, RoleAssignment, Task
from obligations.rules.catalog import Catalog
from obligations.rules.schema import DateOffset, HolidaysFile
from obligations.tasks.generation import generate_tasks
from obligations.tasks.reconcile import RETIRED_NOT_OWED, RETIRED_RULE_GONE
from obligations.vocabulary import OrgKind, Role

THROUGH = date(2026, 12, 31)


def without(catalog: Catalog, *rule_ids: str) -> Catalog:
    kept = [r for r in catalog.rules if r.rule.id not in rule_ids]
    return Catalog(
        catalog.ledger, kept, catalog.indicators, catalog.holidays, catalog.holidays_file
    )


def count(session: Session, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(Task).where(*where)) or 0  # type: ignore[arg-type]


def task_keys(session: Session, rule_id: str) -> list[tuple[str, str, date]]:
    rows = session.execute(
        select(Task.scope_key, Task.period_key, Task.due_on)
        .where(Task.rule_id == rule_id)
        .order_by(Task.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_first_generation_creates_every_task_and_a_rerun_adds_nothing(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        factories.small_college(session)
        first = generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
    with sessions.begin() as session:
        second = generate_tasks(
            session, shipped_catalog(), through=THROUGH, now=NOW + timedelta(days=1)
        )
        total = count(session)
        stamps = set(session.scalars(select(Task.updated_at)))
    # Per unit 41 unit tasks (24 monthly studies, 2 half-years, 3 semesters, 2 academic years,
    # dues x2, 9 others), but the 直属党支部 U02 holds no 民主生活会 (the 党总支's); per branch 46
    # (36 monthly, 8 quarterly, 2 yearly) for U01's two branches and for U02 itself; people:
    # U01's secretary and dean 5 each, U02's secretary 4 (no 班子成员讲党课, the 党总支's).
    assert first.created == total == 41 + 40 + 3 * 46 + 5 + 5 + 4
    assert (second.created, second.updated, second.retired, second.restored) == (0, 0, 0, 0)
    assert second.unchanged == total and not second.changed
    assert stamps == {NOW}


def test_tasks_carry_their_unit_branch_person_and_dates(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        b1, u01 = orgs["B1"].id, orgs["U01"].id
        assert task_keys(session, "dues-disclosure")[:2] == [
            (f"o{u01}", "2026-01", date(2026, 1, 30)),
            (f"o{u01}", "2026-07", date(2026, 7, 31)),
        ]
        meeting = session.scalars(
            select(Task).where(Task.rule_id == "branch-general-meeting", Task.organization_id == b1)
        ).first()
        assert meeting is not None
        assert (meeting.unit_id, meeting.period_key, meeting.due_on) == (
            u01,
            "2026-Q1",
            date(2026, 3, 31),
        )
        (term,) = session.scalars(
            select(Task).where(Task.rule_id == "re-election", Task.unit_id == u01)
        )
        assert (term.period_start, term.due_on) == (date(2023, 10, 15), date(2026, 10, 15))


def test_a_removed_rule_retires_its_tasks_and_restoring_it_brings_them_back(
    sessions: sessionmaker[Session],
) -> None:
    catalog = shipped_catalog()
    with sessions.begin() as session:
        factories.small_college(session)
        generate_tasks(session, catalog, through=THROUGH, now=NOW)
        audits = count(session, Task.rule_id == "relation-audit")
    with sessions.begin() as session:
        report = generate_tasks(
            session, without(catalog, "relation-audit"), through=THROUGH, now=NOW
        )
        retired = session.scalars(select(Task).where(Task.rule_id == "relation-audit")).all()
    assert report.retired == audits == 2
    assert {(t.retired_reason, t.retired_at is not None) for t in retired} == {
        (RETIRED_RULE_GONE, True)
    }
    with sessions.begin() as session:
        report = generate_tasks(session, catalog, through=THROUGH, now=NOW)
        assert count(session, Task.retired_at.is_not(None)) == 0
    assert (report.restored, report.created) == (2, 0)


def test_a_role_change_retires_the_old_holders_task_and_creates_the_new_ones(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        old = session.scalars(
            select(RoleAssignment).where(
                RoleAssignment.organization_id == orgs["U01"].id,
                RoleAssignment.role == Role.SECRETARY,
            )
        ).one()
        old.end_on = date(2026, 2, 28)
        newcomer = factories.person(session, "T9", "赵新书记")
        factories.assign(session, newcomer, orgs["U01"], Role.SECRETARY, date(2026, 3, 1))
        report = generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        lessons = session.execute(
            select(Task.person_id, Task.period_key, Task.retired_reason)
            .where(
                Task.rule_id == "ideological-lesson",
                Task.person_id.in_([old.person_id, newcomer.id]),
            )
            .order_by(Task.period_key, Task.person_id)
        ).all()
    assert [tuple(r) for r in lessons] == [
        (old.person_id, "2025-2026-1", None),
        (old.person_id, "2025-2026-2", RETIRED_NOT_OWED),
        (newcomer.id, "2025-2026-2", None),
        (old.person_id, "2026-2027-1", RETIRED_NOT_OWED),
        (newcomer.id, "2026-2027-1", None),
    ]
    # The yearly training and lecture and the two later semesters' lessons move to the newcomer.
    assert (report.created, report.retired) == (4, 4)


def test_a_corrected_term_length_moves_the_re_election_due_date(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        orgs["U01"].term_years = 4
        report = generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        keys = task_keys(session, "re-election")
    assert report.updated == 1 and report.created == 0
    assert (f"o{orgs['U01'].id}", "T2023-10-15", date(2027, 10, 15)) in keys


def test_a_corrected_term_start_follows_the_same_task(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        before = session.scalars(
            select(Task.id).where(Task.rule_id == "re-election", Task.unit_id == orgs["U01"].id)
        ).one()
        orgs["U01"].term_start = date(2023, 11, 20)
        report = generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        task = session.get(Task, before)
        assert task is not None
        assert (task.period_key, task.due_on, task.retired_at) == (
            "T2023-11-20",
            date(2026, 11, 20),
            None,
        )
    assert (report.created, report.updated, report.retired) == (0, 1, 0)


def test_a_re_election_keeps_the_past_term_and_opens_the_next(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        orgs["U01"].term_start = date(2026, 10, 10)
        report = generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        rows = session.execute(
            select(Task.period_key, Task.due_on, Task.retired_at)
            .where(Task.rule_id == "re-election", Task.unit_id == orgs["U01"].id)
            .order_by(Task.period_start)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("T2023-10-15", date(2026, 10, 15), None),
        ("T2026-10-10", date(2029, 10, 10), None),
    ]
    assert (report.created, report.retired) == (1, 0)


def test_a_unit_added_mid_year_gets_tasks_from_its_start(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        factories.org(
            session,
            "U03",
            OrgKind.DIRECT_BRANCH,
            orgs["college"],
            active_from=date(2026, 9, 15),
            term_start=date(2026, 9, 15),
            term_years=3,
        )
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        months = session.scalars(
            select(Task.period_key)
            .join(Organization, Task.unit_id == Organization.id)
            .where(Organization.code == "U03", Task.rule_id == "central-group-study")
            .order_by(Task.period_start)
        ).all()
    assert months == ["2026-09", "2026-10", "2026-11", "2026-12"]


def test_provisional_dates_become_final_when_the_year_is_entered(
    sessions: sessionmaker[Session], holidays_known_through_2026: None
) -> None:
    catalog = shipped_catalog()
    through = date(2027, 1, 31)
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, catalog, through=through, now=NOW)
        where = (
            Task.rule_id == "central-group-study",
            Task.unit_id == orgs["U01"].id,
            Task.period_key == "2027-01",
        )
        first = session.execute(select(Task.due_on, Task.provisional).where(*where)).one()
        provisional = count(session, Task.provisional.is_(True))
        due_in_2027 = count(session, Task.due_on.between(date(2027, 1, 1), date(2027, 12, 31)))
        official = HolidaysFile.model_validate(
            {
                "years": {
                    2027: {
                        "holidays": [{"name": "元旦", "start": "2027-01-01", "end": "2027-01-01"}]
                    }
                }
            }
        )
        entered = Catalog(catalog.ledger, catalog.rules, catalog.indicators, official, None)
        report = generate_tasks(session, entered, through=through, now=NOW)
        second = session.execute(select(Task.due_on, Task.provisional).where(*where)).one()
    assert tuple(first) == (date(2027, 1, 29), True)
    assert tuple(second) == (date(2027, 1, 29), False)
    # Every task due in 2027, and only those, waited for the year's data (the re-election due
    # in 2028 keeps its date, ``workday: keep``): entering the year makes each one
    # final, and the one holiday entered moves no due date.
    assert report.updated == provisional == due_in_2027 > 0 and report.provisional == 0


def test_the_horizon_covers_tasks_generated_earlier_further_ahead(
    sessions: sessionmaker[Session],
) -> None:
    catalog = shipped_catalog()
    with sessions.begin() as session:
        factories.small_college(session)
        generate_tasks(session, catalog, through=date(2027, 1, 31), now=NOW)
        report = generate_tasks(session, catalog, through=date(2026, 6, 30), now=NOW)
        assert count(session, Task.retired_at.is_not(None)) == 0
    assert not report.changed


def test_retired_tasks_are_never_deleted(sessions: sessionmaker[Session]) -> None:
    catalog = shipped_catalog()
    with sessions.begin() as session:
        factories.small_college(session)
        generate_tasks(session, catalog, through=THROUGH, now=NOW)
        before = count(session)
        ids = [r.rule.id for r in catalog.rules]
        generate_tasks(session, without(catalog, *ids), through=THROUGH, now=NOW)
        assert count(session) == before == count(session, Task.retired_at.is_not(None))


def test_a_direct_branch_without_branches_owes_branch_meetings_itself(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        u02 = orgs["U02"].id
        assert count(session, Task.rule_id == "theme-party-day", Task.organization_id == u02) == 12


def with_rule_changed(catalog: Catalog, rule_id: str, **fields: object) -> Catalog:
    rules = [
        replace(r, rule=r.rule.model_copy(update=fields)) if r.rule.id == rule_id else r
        for r in catalog.rules
    ]
    return Catalog(
        catalog.ledger, rules, catalog.indicators, catalog.holidays, catalog.holidays_file
    )


def test_an_edited_rule_is_re_planned_and_the_others_are_left_as_they_were(
    sessions: sessionmaker[Session],
) -> None:
    catalog = shipped_catalog()
    with sessions.begin() as session:
        factories.small_college(session)
        first = generate_tasks(session, catalog, through=THROUGH, now=NOW)
    edited = with_rule_changed(catalog, "dues-disclosure", due=DateOffset(anchor="end", days=-5))
    with sessions.begin() as session:
        report = generate_tasks(session, edited, through=THROUGH, now=NOW + timedelta(days=1))
        dues = task_keys(session, "dues-disclosure")
    # Two units x January and July, each due five days before the month's end (then adjusted
    # to a working day: 2026-01-26 is a Monday, 2026-07-26 a Sunday moved earlier to the 24th).
    assert report.updated == 4
    assert report.unchanged == first.created - 4
    assert [d for _, _, d in dues] == [date(2026, 1, 26), date(2026, 7, 24)] * 2


def test_a_skipped_rule_still_reports_the_warnings_of_its_last_planning(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        orgs["U02"].term_start = None
        first = generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
    with sessions.begin() as session:
        again = generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
    assert any("U02" in w and "任期" in w for w in first.warnings)
    assert again.warnings == first.warnings and not again.changed


def test_a_full_regeneration_reconciles_every_rule_and_finds_nothing_to_change(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        factories.small_college(session)
        first = generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
    with sessions.begin() as session:
        full = generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW, full=True)
    assert (full.unchanged, full.changed, full.provisional) == (
        first.created,
        False,
        first.provisional,
    )


def test_an_academic_year_missing_from_the_calendar_gives_provisional_tasks_until_imported(
    sessions: sessionmaker[Session],
) -> None:
    where = (Task.rule_id == "branch-setup-survey", Task.period_key == "2025-2026")
    with sessions.begin() as session:
        factories.small_college(session)
        missing = session.scalars(select(AcademicYear).where(AcademicYear.key == "2025-2026"))
        session.delete(missing.one())
        session.flush()
        guessed = generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        before = set(session.execute(select(Task.due_on, Task.provisional).where(*where)))
        session.add(
            AcademicYear(key="2025-2026", start_on=date(2025, 9, 1), end_on=date(2026, 8, 28))
        )
        session.flush()
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        after = set(session.execute(select(Task.due_on, Task.provisional).where(*where)))
    assert before == {(date(2026, 8, 31), True)}
    assert any("学年 2025-2026 没有校历数据" in w for w in guessed.warnings)
    assert after == {(date(2026, 8, 28), False)}
