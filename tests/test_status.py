"""A task's derived state."""

from __future__ import annotations

from datetime import date

import pytest

from obligations.tasks.status import TaskStatus, completed_on, task_status

OPENS, DUE = date(2026, 3, 1), date(2026, 3, 31)


def status(
    today: date, recorded_on: tuple[date, ...] = (), min_count: int = 1, **flags: bool
) -> TaskStatus:
    return task_status(
        opens_on=OPENS,
        due_on=DUE,
        min_count=min_count,
        recorded_on=recorded_on,
        today=today,
        due_soon_days=7,
        **flags,
    )


def test_a_task_before_its_opening_is_upcoming() -> None:
    assert status(date(2026, 2, 28)) is TaskStatus.UPCOMING


def test_a_task_from_its_opening_day_is_open() -> None:
    assert status(date(2026, 3, 1)) is TaskStatus.OPEN


@pytest.mark.parametrize("today", [date(2026, 3, 24), date(2026, 3, 31)])
def test_a_task_within_the_due_soon_window_is_due_soon(today: date) -> None:
    assert status(today) is TaskStatus.DUE_SOON


def test_a_task_eight_days_before_its_due_date_is_still_open() -> None:
    assert status(date(2026, 3, 23)) is TaskStatus.OPEN


def test_a_task_is_overdue_from_the_day_after_its_due_date() -> None:
    assert status(date(2026, 4, 1)) is TaskStatus.OVERDUE


def test_one_record_meets_a_minimum_of_one() -> None:
    assert status(date(2026, 3, 10), (date(2026, 3, 9),)) is TaskStatus.DONE


def test_fewer_records_than_the_minimum_leave_the_task_owed() -> None:
    assert status(date(2026, 4, 2), (date(2026, 3, 9),), min_count=2) is TaskStatus.OVERDUE


def test_the_record_that_reaches_the_minimum_decides_lateness() -> None:
    records = (date(2026, 4, 3), date(2026, 3, 9))
    assert status(date(2026, 4, 5), records, min_count=2) is TaskStatus.DONE_LATE
    assert status(date(2026, 4, 5), records, min_count=1) is TaskStatus.DONE


def test_a_record_made_on_the_due_date_is_on_time() -> None:
    assert status(date(2026, 4, 5), (DUE,)) is TaskStatus.DONE


# October 2026 ends on a Saturday: its due date is moved earlier to Friday the 30th.
MOVED, NOMINAL = date(2026, 10, 30), date(2026, 10, 31)


def moved(recorded_on: date, *, due_on: date = MOVED, nominal_due_on: date = NOMINAL) -> TaskStatus:
    return task_status(
        opens_on=date(2026, 10, 1),
        due_on=due_on,
        nominal_due_on=nominal_due_on,
        min_count=1,
        recorded_on=[recorded_on],
        today=date(2026, 11, 5),
        due_soon_days=7,
    )


def test_a_record_made_after_a_due_date_moved_earlier_but_by_the_nominal_one_is_on_time() -> None:
    assert moved(NOMINAL) is TaskStatus.DONE


def test_a_record_made_after_the_nominal_due_date_is_late() -> None:
    assert moved(date(2026, 11, 1)) is TaskStatus.DONE_LATE


def test_a_due_date_moved_later_keeps_a_record_by_the_moved_date_on_time() -> None:
    # 2026-10-01 (National Day) moved later to the 8th: the later of the two still decides.
    assert moved(date(2026, 10, 8), due_on=date(2026, 10, 8), nominal_due_on=date(2026, 10, 1)) is (
        TaskStatus.DONE
    )
    assert moved(date(2026, 10, 9), due_on=date(2026, 10, 8), nominal_due_on=date(2026, 10, 1)) is (
        TaskStatus.DONE_LATE
    )


def test_a_task_is_overdue_from_the_day_after_its_moved_due_date() -> None:
    """Reminders and the overdue state follow the working day the date was moved to."""
    state = task_status(
        opens_on=date(2026, 10, 1),
        due_on=MOVED,
        nominal_due_on=NOMINAL,
        min_count=1,
        recorded_on=[],
        today=NOMINAL,
        due_soon_days=7,
    )
    assert state is TaskStatus.OVERDUE


def test_a_waived_task_is_waived_whatever_the_date() -> None:
    assert status(date(2026, 5, 1), waived=True) is TaskStatus.WAIVED


def test_a_retired_task_without_records_is_retired() -> None:
    assert status(date(2026, 5, 1), retired=True) is TaskStatus.RETIRED


def test_a_retired_task_that_was_done_stays_done() -> None:
    assert status(date(2026, 5, 1), (date(2026, 3, 3),), retired=True) is TaskStatus.DONE


def test_completed_on_is_the_date_of_the_record_that_reached_the_count() -> None:
    records = [date(2026, 3, 20), date(2026, 3, 2), date(2026, 3, 9)]
    assert completed_on(records, 2) == date(2026, 3, 9)
    assert completed_on(records, 4) is None


def test_settled_states_are_the_ones_reminders_skip() -> None:
    assert {s for s in TaskStatus if s.settled} == {
        TaskStatus.DONE,
        TaskStatus.DONE_LATE,
        TaskStatus.WAIVED,
        TaskStatus.RETIRED,
    }
