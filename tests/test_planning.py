"""Which tasks the rules ask of each unit, branch and person (pure planning)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from tests.helpers import SAMPLE_CALENDAR, shipped_catalog, shipped_rule

from obligations.rules.periods import AcademicCalendar
from obligations.rules.planning import BranchSnapshot, Holding, UnitSnapshot, plan_tasks
from obligations.rules.workdays import WorkdayCalendar
from obligations.vocabulary import OrgKind, Role

WORKDAYS = WorkdayCalendar()
END_2026 = date(2026, 12, 31)


def unit(**fields: object) -> UnitSnapshot:
    base: dict[str, object] = {
        "id": 1,
        "code": "U01",
        "kind": OrgKind.GENERAL_BRANCH,
        "active_from": date(2026, 1, 1),
        "active_until": None,
        "term_start": date(2023, 10, 15),
        "term_years": 3,
        "branches": (BranchSnapshot(11, None, None), BranchSnapshot(12, None, None)),
        "holdings": (),
    }
    return UnitSnapshot(**(base | fields))  # type: ignore[arg-type]


def plan_keys(
    rule_id: str, units: list[UnitSnapshot], through: date = END_2026
) -> list[tuple[int, int | None, str]]:
    plan = plan_tasks([shipped_rule(rule_id)], units, SAMPLE_CALENDAR, WORKDAYS, through)
    return [(t.organization_id, t.person_id, t.period.key) for t in plan.tasks]


def test_a_unit_owes_twelve_monthly_studies_in_a_year() -> None:
    keys = plan_keys("central-group-study", [unit()])
    assert keys == [(1, None, f"2026-{m:02d}") for m in range(1, 13)]


def test_generation_stops_at_periods_starting_after_the_through_date() -> None:
    keys = plan_keys("central-group-study", [unit()], through=date(2026, 3, 1))
    assert [k[2] for k in keys] == ["2026-01", "2026-02", "2026-03"]


def test_each_branch_owes_its_own_branch_meetings() -> None:
    keys = plan_keys("branch-general-meeting", [unit()])
    assert Counter(k[0] for k in keys) == {11: 4, 12: 4}


def test_a_direct_branch_without_branches_holds_branch_life_itself() -> None:
    direct = unit(kind=OrgKind.DIRECT_BRANCH, branches=())
    assert [k[0] for k in plan_keys("branch-general-meeting", [direct])] == [1, 1, 1, 1]


def test_a_branch_set_up_in_july_owes_from_july() -> None:
    late = unit(
        branches=(BranchSnapshot(11, None, None), BranchSnapshot(12, date(2026, 7, 1), None))
    )
    keys = plan_keys("branch-general-meeting", [late])
    assert [k[2] for k in keys if k[0] == 12] == ["2026-Q3", "2026-Q4"]


def test_a_unit_added_mid_year_owes_what_falls_due_from_its_start() -> None:
    keys = plan_keys("central-group-study", [unit(active_from=date(2026, 5, 10))])
    assert [k[2] for k in keys] == [f"2026-{m:02d}" for m in range(5, 13)]
    # A yearly task due at the year end is owed in full.
    assert plan_keys("democratic-life-meeting", [unit(active_from=date(2026, 5, 10))]) == [
        (1, None, "2026")
    ]


def test_a_dissolved_unit_owes_nothing_that_starts_after_it_closed() -> None:
    keys = plan_keys("central-group-study", [unit(active_until=date(2026, 4, 15))])
    assert [k[2] for k in keys] == ["2026-01", "2026-02", "2026-03", "2026-04"]


def test_rules_apply_only_to_the_unit_kinds_they_name() -> None:
    rule = shipped_rule("democratic-life-meeting").model_copy(
        update={"applies_to": [OrgKind.GENERAL_BRANCH]}
    )
    direct = unit(id=2, code="U02", kind=OrgKind.DIRECT_BRANCH, branches=())
    plan = plan_tasks([rule], [unit(), direct], SAMPLE_CALENDAR, WORKDAYS, END_2026)
    assert [t.unit_id for t in plan.tasks] == [1]


COMMITTEE = (
    Holding(101, Role.SECRETARY, date(2023, 10, 15), None),
    Holding(102, Role.DEPUTY_SECRETARY, date(2023, 10, 15), None),
    Holding(103, Role.COMMITTEE_MEMBER, date(2023, 10, 15), None),
    Holding(103, Role.DEAN, date(2023, 10, 15), None),
    Holding(104, Role.ORGANIZER, date(2023, 10, 15), None),
)


def test_each_committee_member_owes_a_training_once_however_many_roles() -> None:
    keys = plan_keys("committee-training", [unit(holdings=COMMITTEE)])
    assert keys == [(1, 101, "2026"), (1, 102, "2026"), (1, 103, "2026")]


def test_the_secretary_and_the_dean_each_owe_a_lesson_every_semester() -> None:
    keys = plan_keys("ideological-lesson", [unit(holdings=COMMITTEE)])
    assert keys == [
        (1, 101, "2025-2026-1"),
        (1, 103, "2025-2026-1"),
        (1, 101, "2025-2026-2"),
        (1, 103, "2025-2026-2"),
        (1, 101, "2026-2027-1"),
        (1, 103, "2026-2027-1"),
    ]


def test_a_person_task_follows_whoever_holds_the_role_at_the_period_end() -> None:
    changed = (
        Holding(101, Role.SECRETARY, date(2023, 10, 15), date(2026, 2, 28)),
        Holding(201, Role.SECRETARY, date(2026, 3, 1), None),
    )
    keys = plan_keys("ideological-lesson", [unit(holdings=changed)])
    assert keys == [(1, 101, "2025-2026-1"), (1, 201, "2025-2026-2"), (1, 201, "2026-2027-1")]


def test_a_role_vacant_at_the_period_end_falls_to_its_last_holder() -> None:
    left = (Holding(101, Role.SECRETARY, date(2023, 10, 15), date(2026, 11, 30)),)
    assert plan_keys("committee-party-lecture", [unit(holdings=left)]) == [(1, 101, "2026")]


def test_a_role_nobody_holds_is_reported_not_silently_dropped() -> None:
    plan = plan_tasks(
        [shipped_rule("committee-training")], [unit()], SAMPLE_CALENDAR, WORKDAYS, END_2026
    )
    assert plan.tasks == []
    assert plan.warnings and "U01" in plan.warnings[0] and "committee-training" in plan.warnings[0]


def test_the_re_election_task_comes_from_the_units_term() -> None:
    plan = plan_tasks([shipped_rule("re-election")], [unit()], SAMPLE_CALENDAR, WORKDAYS, END_2026)
    (task,) = plan.tasks
    assert (task.period.key, task.schedule.due_on) == ("T2023-10-15", date(2026, 10, 15))


def test_a_unit_without_term_data_is_reported() -> None:
    plan = plan_tasks(
        [shipped_rule("re-election")], [unit(term_start=None)], SAMPLE_CALENDAR, WORKDAYS, END_2026
    )
    assert plan.tasks == [] and "任期" in plan.warnings[0]


def test_semester_gaps_in_the_calendar_become_warnings() -> None:
    plan = plan_tasks(
        [shipped_rule("mobile-member-check")],
        [unit()],
        SAMPLE_CALENDAR,
        WORKDAYS,
        date(2027, 10, 1),
    )
    assert any("2027-09-01" in w for w in plan.warnings)


def test_an_academic_year_missing_from_the_calendar_is_warned_and_its_tasks_are_provisional() -> (
    None
):
    rule = shipped_rule("branch-setup-survey")
    without_2025 = AcademicCalendar(SAMPLE_CALENDAR.years[1:])
    guessed = plan_tasks([rule], [unit()], without_2025, WORKDAYS, date(2026, 6, 30))
    known = plan_tasks([rule], [unit()], SAMPLE_CALENDAR, WORKDAYS, date(2026, 6, 30))

    assert [(t.period.key, t.schedule.provisional) for t in guessed.tasks] == [("2025-2026", True)]
    assert guessed.warnings == [
        "规则 branch-setup-survey：学年 2025-2026 没有校历数据，暂按 2025-09-01 至 2026-08-31 "
        "推算，任务标记为待定；请导入该学年的校历（obligations import）"
    ]
    assert [(t.period.key, t.schedule.provisional) for t in known.tasks] == [("2025-2026", False)]
    assert known.warnings == []


def branch_secretaries() -> tuple[BranchSnapshot, ...]:
    return tuple(
        BranchSnapshot(
            branch, None, None, (Holding(person, Role.SECRETARY, date(2024, 1, 1), None),)
        )
        for branch, person in ((11, 111), (12, 112))
    )


def test_each_branch_secretary_owes_a_yearly_training() -> None:
    general = unit(holdings=COMMITTEE, branches=branch_secretaries())
    assert plan_keys("branch-secretary-training", [general]) == [
        (11, 111, "2026"),
        (12, 112, "2026"),
    ]


def test_the_full_catalog_plans_every_rule_for_a_general_branch() -> None:
    rules = shipped_catalog().enabled_rules
    general = unit(holdings=COMMITTEE, branches=branch_secretaries())
    plan = plan_tasks(rules, [general], SAMPLE_CALENDAR, WORKDAYS, END_2026)
    assert {t.rule_id for t in plan.tasks} == {r.id for r in rules}
    keys = [t.natural_key for t in plan.tasks]
    assert len(keys) == len(set(keys))
