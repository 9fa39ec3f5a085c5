"""Periods and due dates of every obligation in the seed table, over 2026 and 2026-2027."""

from __future__ import annotations

from datetime import date

import pytest
from tests.helpers import SAMPLE_CALENDAR, OfficialThrough, make_rule, shipped_rule

from obligations.rules.periods import AcademicCalendar, rule_periods, schedule, term_period
from obligations.rules.schema import HolidaysFile
from obligations.rules.workdays import WorkdayCalendar

WORKDAYS = WorkdayCalendar()
YEAR_2026 = (date(2026, 1, 1), date(2026, 12, 31))
ACADEMIC_2026_2027 = (date(2026, 9, 1), date(2027, 8, 31))

# Last working day of each month of 2026 (调休 included: 28 February is a working Saturday).
MONTH_ENDS_2026 = {
    "2026-01": date(2026, 1, 30),
    "2026-02": date(2026, 2, 28),
    "2026-03": date(2026, 3, 31),
    "2026-04": date(2026, 4, 30),
    "2026-05": date(2026, 5, 29),
    "2026-06": date(2026, 6, 30),
    "2026-07": date(2026, 7, 31),
    "2026-08": date(2026, 8, 31),
    "2026-09": date(2026, 9, 30),
    "2026-10": date(2026, 10, 30),
    "2026-11": date(2026, 11, 30),
    "2026-12": date(2026, 12, 31),
}


def due_dates(rule_id: str, start: date, end: date) -> dict[str, date]:
    rule = shipped_rule(rule_id)
    result = rule_periods(rule, SAMPLE_CALENDAR, start, end)
    return {p.key: schedule(rule, p, WORKDAYS).due_on for p in result.periods}


@pytest.mark.parametrize("rule_id", ["central-group-study", "staff-political-study"])
def test_monthly_studies_fall_due_on_the_last_working_day_of_each_month(rule_id: str) -> None:
    assert due_dates(rule_id, *YEAR_2026) == MONTH_ENDS_2026


@pytest.mark.parametrize(
    "rule_id", ["branch-committee-meeting", "party-group-meeting", "theme-party-day"]
)
def test_monthly_branch_meetings_fall_due_at_each_month_end(rule_id: str) -> None:
    assert due_dates(rule_id, *YEAR_2026) == MONTH_ENDS_2026


def test_a_monthly_period_runs_from_the_first_to_the_last_day_of_its_month() -> None:
    periods = rule_periods(shipped_rule("central-group-study"), SAMPLE_CALENDAR, *YEAR_2026).periods
    february = next(p for p in periods if p.key == "2026-02")
    assert (february.start, february.end) == (date(2026, 2, 1), date(2026, 2, 28))


def test_vacation_months_can_be_exempted_from_a_monthly_rule() -> None:
    rule = make_rule(period="month", exempt_months=[2, 7, 8], workday="earlier")
    keys = [p.key for p in rule_periods(rule, SAMPLE_CALENDAR, *YEAR_2026).periods]
    assert keys == [f"2026-{m:02d}" for m in (1, 3, 4, 5, 6, 9, 10, 11, 12)]


def test_dues_are_disclosed_every_january_and_july() -> None:
    assert due_dates("dues-disclosure", *YEAR_2026) == {
        "2026-01": date(2026, 1, 30),
        "2026-07": date(2026, 7, 31),
    }


def test_graduate_transfers_fall_due_at_the_end_of_july() -> None:
    assert due_dates("graduate-transfer", *YEAR_2026) == {"2026-07": date(2026, 7, 31)}


def test_the_relation_audit_falls_due_at_the_end_of_september() -> None:
    assert due_dates("relation-audit", *YEAR_2026) == {"2026-09": date(2026, 9, 30)}


def test_the_recruitment_check_is_owed_each_half_year() -> None:
    rule = shipped_rule("recruitment-check")
    periods = rule_periods(rule, SAMPLE_CALENDAR, *YEAR_2026).periods
    assert [(p.key, p.start, p.end) for p in periods] == [
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
    ]
    assert due_dates("recruitment-check", *YEAR_2026) == {
        "2026-H1": date(2026, 6, 30),
        "2026-H2": date(2026, 12, 31),
    }


@pytest.mark.parametrize("rule_id", ["branch-general-meeting", "branch-party-lecture"])
def test_quarterly_branch_meetings_fall_due_at_each_quarter_end(rule_id: str) -> None:
    assert due_dates(rule_id, *YEAR_2026) == {
        "2026-Q1": date(2026, 3, 31),
        "2026-Q2": date(2026, 6, 30),
        "2026-Q3": date(2026, 9, 30),
        "2026-Q4": date(2026, 12, 31),
    }


@pytest.mark.parametrize(
    "rule_id",
    [
        "democratic-life-meeting",
        "secretary-review",
        "annual-work-summary",
        "organizational-life-meeting",
        "member-democratic-review",
        "committee-training",
        "committee-party-lecture",
    ],
)
def test_yearly_obligations_fall_due_at_the_year_end(rule_id: str) -> None:
    assert due_dates(rule_id, *YEAR_2026) == {"2026": date(2026, 12, 31)}


@pytest.mark.parametrize("rule_id", ["training-plan", "annual-work-plan"])
def test_yearly_plans_fall_due_early_in_the_year(rule_id: str) -> None:
    rule = shipped_rule(rule_id)
    (period,) = rule_periods(rule, SAMPLE_CALENDAR, *YEAR_2026).periods
    assert (period.start, period.end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert schedule(rule, period, WORKDAYS).due_on == date(2026, 3, 31)


@pytest.mark.parametrize("rule_id", ["mobile-member-check", "ideological-lesson"])
def test_semester_obligations_follow_the_college_calendar(rule_id: str) -> None:
    rule = shipped_rule(rule_id)
    result = rule_periods(rule, SAMPLE_CALENDAR, *ACADEMIC_2026_2027)
    assert [(p.key, p.start, p.end) for p in result.periods] == [
        ("2026-2027-1", date(2026, 9, 7), date(2027, 1, 22)),
        ("2026-2027-2", date(2027, 2, 22), date(2027, 7, 9)),
    ]
    assert result.gaps == []
    assert [schedule(rule, p, WORKDAYS).due_on for p in result.periods] == [
        date(2027, 1, 22),
        date(2027, 7, 9),
    ]


def test_semesters_of_2026_come_from_both_academic_years() -> None:
    rule = shipped_rule("mobile-member-check")
    keys = [p.key for p in rule_periods(rule, SAMPLE_CALENDAR, *YEAR_2026).periods]
    assert keys == ["2025-2026-1", "2025-2026-2", "2026-2027-1"]


def test_a_semester_rule_reports_the_dates_the_calendar_does_not_cover() -> None:
    rule = shipped_rule("mobile-member-check")
    result = rule_periods(rule, SAMPLE_CALENDAR, date(2027, 6, 1), date(2027, 12, 31))
    assert [p.key for p in result.periods] == ["2026-2027-2"]
    assert result.gaps == [(date(2027, 9, 1), date(2027, 12, 31))]


def test_a_semester_rule_without_any_calendar_is_one_gap() -> None:
    rule = shipped_rule("mobile-member-check")
    result = rule_periods(rule, AcademicCalendar(), *YEAR_2026)
    assert result.periods == []
    assert result.gaps == [YEAR_2026]


def test_the_branch_setup_survey_is_owed_each_academic_year() -> None:
    rule = shipped_rule("branch-setup-survey")
    periods = rule_periods(rule, SAMPLE_CALENDAR, *ACADEMIC_2026_2027).periods
    assert [(p.key, p.start, p.end) for p in periods] == [
        ("2026-2027", date(2026, 9, 1), date(2027, 8, 31))
    ]
    assert schedule(rule, periods[0], WORKDAYS).due_on == date(2027, 8, 31)


def test_academic_years_missing_from_the_calendar_run_september_to_august() -> None:
    rule = shipped_rule("branch-setup-survey")
    result = rule_periods(rule, AcademicCalendar(), date(2028, 1, 1), date(2028, 12, 31))
    assert [(p.key, p.start, p.end) for p in result.periods] == [
        ("2027-2028", date(2027, 9, 1), date(2028, 8, 31)),
        ("2028-2029", date(2028, 9, 1), date(2029, 8, 31)),
    ]
    assert result.guessed == result.periods


def test_only_the_academic_years_missing_from_the_calendar_are_guessed() -> None:
    rule = shipped_rule("branch-setup-survey")
    result = rule_periods(rule, SAMPLE_CALENDAR, date(2026, 1, 1), date(2027, 12, 31))
    assert [p.key for p in result.periods] == ["2025-2026", "2026-2027", "2027-2028"]
    assert [p.key for p in result.guessed] == ["2027-2028"]


def test_a_three_year_term_elected_on_15_october_2023_expires_on_15_october_2026() -> None:
    rule = shipped_rule("re-election")
    period = term_period(date(2023, 10, 15), 3)
    assert (period.key, period.start, period.end) == (
        "T2023-10-15",
        date(2023, 10, 15),
        date(2026, 10, 15),
    )
    sched = schedule(rule, period, WORKDAYS)
    assert (sched.opens_on, sched.due_on) == (date(2023, 10, 15), date(2026, 10, 15))


def test_a_four_year_term_from_a_leap_day_expires_on_28_february() -> None:
    assert term_period(date(2024, 2, 29), 4).end == date(2028, 2, 29)
    assert term_period(date(2024, 2, 29), 3).end == date(2027, 2, 28)


def test_a_due_date_on_national_day_moved_later_lands_on_8_october() -> None:
    rule = make_rule(period="months", months=[10], due={"anchor": "start"}, workday="later")
    (period,) = rule_periods(rule, SAMPLE_CALENDAR, *YEAR_2026).periods
    sched = schedule(rule, period, WORKDAYS)
    assert (sched.due_on, sched.provisional) == (date(2026, 10, 8), False)


def test_a_due_date_on_national_day_moved_earlier_lands_on_30_september() -> None:
    rule = make_rule(period="months", months=[10], due={"anchor": "start"}, workday="earlier")
    (period,) = rule_periods(rule, SAMPLE_CALENDAR, *YEAR_2026).periods
    assert schedule(rule, period, WORKDAYS).due_on == date(2026, 9, 30)


def test_a_kept_due_date_stays_on_a_holiday() -> None:
    rule = make_rule(period="months", months=[10], due={"anchor": "start"}, workday="keep")
    (period,) = rule_periods(rule, SAMPLE_CALENDAR, *YEAR_2026).periods
    assert schedule(rule, period, WORKDAYS).due_on == date(2026, 10, 1)


def test_a_due_offset_in_months_clamps_to_the_end_of_a_short_month() -> None:
    rule = make_rule(period="months", months=[1], due={"anchor": "end", "months": 1})
    (period,) = rule_periods(rule, SAMPLE_CALENDAR, *YEAR_2026).periods
    assert schedule(rule, period, WORKDAYS).due_on == date(2026, 2, 28)


def test_the_opening_date_never_falls_after_the_due_date() -> None:
    rule = make_rule(period="year", due={"anchor": "start", "months": 3, "days": -1})
    (period,) = rule_periods(rule, SAMPLE_CALENDAR, *YEAR_2026).periods
    sched = schedule(rule, period, WORKDAYS)
    assert sched.opens_on == date(2026, 1, 1) <= sched.due_on


def test_2027_dates_moved_by_the_weekend_fallback_are_provisional() -> None:
    rule = shipped_rule("central-group-study")
    periods = rule_periods(rule, SAMPLE_CALENDAR, date(2027, 1, 1), date(2027, 1, 31)).periods
    sched = schedule(rule, periods[0], WorkdayCalendar(official=OfficialThrough(2026)))
    # 31 January 2027 is a Sunday: without official data the fallback gives Friday the 29th.
    assert (sched.due_on, sched.provisional) == (date(2027, 1, 29), True)


def test_2026_dates_are_not_provisional() -> None:
    rule = shipped_rule("central-group-study")
    periods = rule_periods(rule, SAMPLE_CALENDAR, *YEAR_2026).periods
    assert not any(schedule(rule, p, WORKDAYS).provisional for p in periods)


def test_an_override_file_makes_2027_dates_official() -> None:
    overrides = HolidaysFile.model_validate(
        {
            "years": {
                2027: {
                    "source": "测试通知",
                    "holidays": [{"name": "测试假期", "start": "2027-01-28", "end": "2027-01-29"}],
                    "workdays": ["2027-01-31"],
                }
            }
        }
    )
    workdays = WorkdayCalendar(overrides, official=OfficialThrough(2026))
    rule = shipped_rule("central-group-study")
    periods = rule_periods(rule, SAMPLE_CALENDAR, date(2027, 1, 1), date(2027, 1, 31)).periods
    sched = schedule(rule, periods[0], workdays)
    assert (sched.due_on, sched.provisional) == (date(2027, 1, 31), False)
    assert workdays.check(date(2027, 1, 29)) == (False, False)
    assert workdays.knows(2027)


def test_the_override_file_replaces_the_package_data_for_its_year() -> None:
    overrides = HolidaysFile.model_validate({"years": {2026: {"holidays": [], "workdays": []}}})
    # With the year re-entered without holidays, National Day is an ordinary Thursday.
    assert WorkdayCalendar(overrides).check(date(2026, 10, 1)) == (True, False)


def test_14_february_2026_is_a_working_saturday() -> None:
    assert WORKDAYS.check(date(2026, 2, 14)) == (True, False)
    assert WORKDAYS.check(date(2026, 2, 16)) == (False, False)


def test_the_package_does_not_know_2027_yet() -> None:
    assert WORKDAYS.knows(2026)
    assert not WORKDAYS.knows(2027)
    assert WORKDAYS.check(date(2027, 3, 6)) == (False, True)
