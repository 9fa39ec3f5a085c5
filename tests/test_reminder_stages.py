"""Reminder stages, working days, sending hours and recipients: pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import islice

from obligations.reminders.digests import DigestItem, group_digests
from obligations.reminders.recipients import Holding, TaskSubject, recipients
from obligations.reminders.stages import (
    SendDays,
    SendingHours,
    StageKind,
    retry_at,
    stages_due,
    task_stages,
)
from obligations.rules.schema import Reminders, Scope
from obligations.rules.workdays import WorkdayCalendar
from obligations.timeutil import LOCAL_TZ
from obligations.vocabulary import ADMINS, Role

WORKDAYS = WorkdayCalendar()
HOURS = SendingHours(
    datetime.min.time().replace(hour=9), datetime.min.time().replace(hour=21), LOCAL_TZ
)
DUE = date(2026, 9, 30)


def names(due_on: date = DUE, opens_on: date = date(2026, 9, 1), **config: object) -> list[str]:
    stages = task_stages(
        due_on=due_on, opens_on=opens_on, reminders=Reminders.model_validate(config)
    )
    return [s.name for s in islice(stages, 8)]


def test_stages_run_from_before_the_due_date_to_weekly_repeats_and_escalations() -> None:
    assert names() == [
        "before_7",
        "before_1",
        "overdue_1",
        "escalate_unit",
        "overdue_repeat_1",
        "overdue_repeat_2",
        "overdue_repeat_3",
        "overdue_repeat_4",
    ]


def test_a_before_stage_earlier_than_the_task_opens_is_skipped() -> None:
    assert names(opens_on=date(2026, 9, 25))[:2] == ["before_1", "overdue_1"]


def test_a_stage_on_a_holiday_goes_out_on_the_next_working_day_with_the_next_stage() -> None:
    stages = task_stages(due_on=DUE, opens_on=date(2026, 9, 1), reminders=Reminders())
    plan = stages_due(stages, SendDays(WORKDAYS), today=date(2026, 10, 8), since=date(2026, 10, 1))
    assert [(s.stage.name, s.send_on) for s in plan.due] == [
        ("overdue_1", date(2026, 10, 8)),
        ("escalate_unit", date(2026, 10, 8)),
        ("overdue_repeat_1", date(2026, 10, 8)),
    ]
    assert plan.next_on == date(2026, 10, 15)


def test_sending_hours_are_working_days_from_nine_local_time() -> None:
    holiday = datetime(2026, 10, 2, 3, 0, tzinfo=UTC)  # 11:00 local, National Day
    assert not HOURS.is_open(holiday, WORKDAYS)
    assert HOURS.next_open(holiday, WORKDAYS) == datetime(2026, 10, 8, 1, 0, tzinfo=UTC)
    assert HOURS.is_open(datetime(2026, 10, 10, 1, 30, tzinfo=UTC), WORKDAYS)  # 调休 Saturday


def test_retries_wait_longer_each_time_and_respect_the_providers_hint() -> None:
    now = datetime(2026, 3, 24, 2, 0, tzinfo=UTC)  # 10:00 local, a Tuesday
    assert (retry_at(now, 1, None, HOURS, WORKDAYS) - now).total_seconds() == 60
    assert (retry_at(now, 2, None, HOURS, WORKDAYS) - now).total_seconds() == 300
    assert (retry_at(now, 1, 600, HOURS, WORKDAYS) - now).total_seconds() == 600


def test_late_retries_move_to_the_next_working_morning() -> None:
    evening = datetime(2026, 3, 27, 12, 30, tzinfo=UTC)  # Friday 20:30 local
    assert retry_at(evening, 4, None, HOURS, WORKDAYS) == datetime(2026, 3, 30, 1, 0, tzinfo=UTC)


HOLDINGS = {
    10: [
        Holding(1, Role.SECRETARY, date(2025, 1, 1), None),
        Holding(2, Role.ORGANIZER, date(2025, 1, 1), None),
    ],
    11: [Holding(3, Role.SECRETARY, date(2025, 1, 1), date(2026, 6, 30))],
}


def test_a_branch_task_goes_to_the_branch_secretary_and_escalates_to_the_unit() -> None:
    branch_task = TaskSubject(Scope.BRANCH, unit_id=10, organization_id=11, person_id=None)
    today = date(2026, 3, 1)
    assert recipients(StageKind.BEFORE, branch_task, HOLDINGS, today).keys == ("person:3",)
    unit = recipients(StageKind.ESCALATE_UNIT, branch_task, HOLDINGS, today)
    assert unit.keys == ("person:1", "person:2")
    assert recipients(StageKind.ESCALATE_COLLEGE, branch_task, HOLDINGS, today).keys == (ADMINS,)


def test_a_branch_whose_secretary_left_is_reported_to_the_administrators() -> None:
    branch_task = TaskSubject(Scope.BRANCH, unit_id=10, organization_id=11, person_id=None)
    found = recipients(StageKind.OVERDUE, branch_task, HOLDINGS, date(2026, 7, 1))
    assert found.keys == (ADMINS,) and found.orphaned


def test_unit_and_person_tasks_go_to_the_unit_leaders_and_the_person() -> None:
    unit_task = TaskSubject(Scope.UNIT, unit_id=10, organization_id=10, person_id=None)
    person_task = TaskSubject(Scope.PERSON, unit_id=10, organization_id=10, person_id=7)
    today = date(2026, 3, 1)
    assert recipients(StageKind.BEFORE, unit_task, HOLDINGS, today).keys == ("person:1", "person:2")
    assert recipients(StageKind.BEFORE, person_task, HOLDINGS, today).keys == ("person:7",)


def test_a_digest_lists_each_task_once_per_recipient_and_channel() -> None:
    items = [
        DigestItem(1, 100, "person:1", "mail", "overdue_1"),
        DigestItem(2, 100, "person:1", "mail", "overdue_repeat_1"),
        DigestItem(3, 101, "person:1", "mail", "before_7"),
        DigestItem(4, 100, "person:1", "wecom", "overdue_1"),
    ]
    digests = group_digests(items)
    assert [(d.channel, d.task_ids, d.item_ids) for d in digests] == [
        ("mail", [100, 101], [1, 2, 3]),
        ("wecom", [100], [4]),
    ]
