"""The overview's standing of units, its sort, its heatmap bands and the window of its
"overdue this month" list (obligations.tasks.ranking: pure functions over counts)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from obligations.tasks.ranking import (
    DEFAULT_SORT,
    HEAT_BANDS,
    Direction,
    Outcomes,
    SortKey,
    Standing,
    heat_band,
    month_cell,
    overdue_windows,
    rank_units,
    sort_standings,
)


def standing(code: str, on_time: int, late: int, missed: int, due_soon: int = 0) -> Standing:
    return Standing(code, f"单位{code}", Outcomes(on_time, late, missed), due_soon)


UNITS = [
    standing("U01", 6, 2, 2),  # 80 % done, 60 % on time
    standing("U02", 9, 0, 1),  # 90 %, 90 %
    standing("U03", 2, 2, 6),  # 40 %, 20 %
    standing("U04", 3, 5, 2),  # 80 %, 30 %
    standing("U05", 0, 0, 0),  # nothing due yet
    standing("U06", 6, 2, 2, due_soon=3),  # the same as U01
]


def test_shares_count_every_task_due_and_none_when_nothing_is_due() -> None:
    outcomes = Outcomes(on_time=3, late=1, missed=4, owed=2)
    assert (outcomes.due, outcomes.done) == (10, 4)
    assert outcomes.completion_rate == pytest.approx(0.4)
    assert outcomes.on_time_rate == pytest.approx(0.3)
    assert Outcomes().completion_rate is None and Outcomes().on_time_rate is None


def test_units_rank_by_completion_then_on_time_share_and_equal_units_share_a_rank() -> None:
    ranks = {s.code: s.rank for s in rank_units(UNITS)}
    assert ranks == {"U02": 1, "U01": 2, "U06": 2, "U04": 4, "U03": 5, "U05": None}


def test_the_default_sort_puts_the_unit_most_behind_first_and_the_unjudged_last() -> None:
    ranked = rank_units(UNITS)
    order = [s.code for s in sort_standings(ranked, *DEFAULT_SORT)]
    # equal completion shares: the worse rank first (U04 ranks 4th, U01 and U06 2nd)
    assert order == ["U03", "U04", "U01", "U06", "U02", "U05"]


def test_sorting_descending_keeps_the_unjudged_last_and_ties_in_rank_order() -> None:
    ranked = rank_units(UNITS)
    by_rate = [s.code for s in sort_standings(ranked, SortKey.RATE, Direction.DESC)]
    assert by_rate == ["U02", "U04", "U01", "U06", "U03", "U05"]
    by_missed = [s.code for s in sort_standings(ranked, SortKey.MISSED, Direction.DESC)]
    assert by_missed == ["U03", "U04", "U01", "U06", "U02", "U05"]
    by_rank = [s.code for s in sort_standings(ranked, SortKey.RANK, Direction.ASC)]
    assert by_rank == ["U02", "U01", "U06", "U04", "U03", "U05"]
    by_unit = [s.code for s in sort_standings(ranked, SortKey.UNIT, Direction.DESC)]
    assert by_unit == ["U06", "U05", "U04", "U03", "U02", "U01"]
    by_soon = [s.code for s in sort_standings(ranked, SortKey.DUE_SOON, Direction.DESC)]
    assert by_soon[0] == "U06"


def test_three_of_seventeen_done_is_eighteen_percent_and_red_not_green() -> None:
    november = Outcomes(on_time=3, owed=14)
    assert november.completion_rate == pytest.approx(3 / 17)
    assert f"{november.completion_rate:.0%}" == "18%"
    band = heat_band(november.completion_rate)
    assert band is HEAT_BANDS[0] and band.range_text == "0%–49%"


def test_only_everything_done_is_green_and_the_bands_cover_every_share() -> None:
    assert heat_band(1.0) is HEAT_BANDS[-1] and HEAT_BANDS[-1].range_text == "100%"
    assert heat_band(0.999) is not HEAT_BANDS[-1]
    assert heat_band(None) is None
    assert [heat_band(p / 100) for p in (0, 49, 50, 79, 80, 99, 100)] == [
        HEAT_BANDS[0], HEAT_BANDS[0], HEAT_BANDS[1], HEAT_BANDS[1],
        HEAT_BANDS[2], HEAT_BANDS[2], HEAT_BANDS[3],
    ]  # fmt: skip


def test_a_month_not_yet_begun_has_no_cell_and_the_current_one_is_shown_but_not_coloured() -> None:
    today = date(2026, 11, 25)
    owed = Outcomes(on_time=3, owed=14)
    assert month_cell(owed, year=2026, month=12, today=today) is None
    november = month_cell(owed, year=2026, month=11, today=today)
    assert november is not None and november.in_progress and november.band is None
    assert november.outcomes.completion_rate == pytest.approx(3 / 17)
    # the same counts in a past month (the 14 now missed) are red
    october = month_cell(Outcomes(on_time=3, missed=14), year=2026, month=10, today=today)
    assert october is not None and not october.in_progress and october.band is HEAT_BANDS[0]
    assert month_cell(Outcomes(), year=2026, month=10, today=today) is None
    assert month_cell(None, year=2026, month=10, today=today) is None


def weekdays(day: date) -> bool:
    return day.weekday() < 5


def test_on_the_first_of_the_month_last_months_overdue_tasks_are_still_listed() -> None:
    # Tuesday 1 December 2026: November's tasks (many due on the 30th) were missed yesterday.
    windows = overdue_windows(date(2026, 12, 1), weekdays)
    assert [(w.label, w.first, w.last) for w in windows] == [
        ("本月逾期", date(2026, 12, 1), date(2026, 12, 31)),
        ("上月逾期", date(2026, 11, 1), date(2026, 11, 30)),
    ]


def test_the_grace_lasts_three_working_days_then_only_this_month_is_listed() -> None:
    # December 2026: Tue 1, Wed 2, Thu 3 are the first three working days; Fri 4 the fourth.
    assert len(overdue_windows(date(2026, 12, 3), weekdays)) == 2
    assert [w.label for w in overdue_windows(date(2026, 12, 4), weekdays)] == ["本月逾期"]
    # A month opening on a weekend: Sat 1 and Sun 2 August are no working days.
    assert len(overdue_windows(date(2026, 8, 5), weekdays)) == 2
    assert len(overdue_windows(date(2026, 8, 6), weekdays)) == 1


def test_the_grace_counts_working_days_so_a_holiday_week_does_not_use_it_up() -> None:
    golden_week = {date(2026, 10, 1) + timedelta(days=n) for n in range(7)}

    def workday(day: date) -> bool:
        return weekdays(day) and day not in golden_week

    windows = overdue_windows(date(2026, 10, 9), workday)  # the 2nd working day of October
    assert windows[1].label == "上月逾期" and windows[1].first == date(2026, 9, 1)
    assert len(overdue_windows(date(2026, 10, 13), workday)) == 1  # the 4th


def test_january_looks_back_to_december_of_the_year_before() -> None:
    windows = overdue_windows(date(2027, 1, 4), weekdays)
    assert (windows[1].year, windows[1].month, windows[1].last) == (2026, 12, date(2026, 12, 31))
