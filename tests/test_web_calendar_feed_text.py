"""The feed's events, written line by line for speed (issue 15), say what icalendar's own
``Event.new`` says for the same tasks: the same properties and alarms once parsed, the same
bytes, long Chinese lines folded without splitting a character, and text with commas,
semicolons, backslashes and newlines escaped."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Alarm, Calendar, Component, Event
from icalendar.enums import STATUS, TRANSP
from icalendar.parser import Contentline

from obligations.reminders.stages import StageKind, task_stages
from obligations.rules.periods import period_text
from obligations.rules.schema import Reminders
from obligations.tasks.listing import TaskView
from obligations.tasks.status import TaskStatus
from obligations.tasks.urgency import urgency_of
from obligations.timeutil import LOCAL_TZ
from obligations.web.feed import FeedOwner, feed_calendar
from obligations.web.feed_cache import EVENTS
from obligations.web.feed_events import content_line

TODAY = date(2026, 11, 25)
SITE = "https://dangjian.example.edu.cn"
OWNER = FeedOwner(user_id=7, display_name="赵支书", site=SITE)
LONG = "很长很长很长很长很长很长很长很长很长很长"
ODD = "组织生活会, 含民主评议;党员\\自评\n互评\r\n及 \\N 整改，" + LONG
TITLES = {"theme-party-day": "主题党日", "odd": ODD}
REMINDERS = {
    "theme-party-day": Reminders(before_days=[7, 3, 1]),
    "odd": Reminders(before_days=[60, 30, 14, 7, 1]),
}


def row(
    task_id: int,
    *,
    due_on: date,
    status: TaskStatus,
    rule: str = "theme-party-day",
    provisional: bool = False,
    branch_name: str | None = "第一党支部",
    period_key: str | None = None,
) -> TaskView:
    return TaskView(
        id=task_id,
        rule=rule,
        title=TITLES.get(rule, rule),
        ledger_item="4.3",
        unit="U01",
        unit_name="机电学院党总支",
        branch="U01-B01" if branch_name else None,
        branch_name=branch_name,
        person=None,
        person_name=None,
        period_key=period_key or f"{due_on:%Y-%m}",
        period_start=due_on.replace(day=1),
        period_end=due_on,
        opens_on=due_on - timedelta(days=40),
        due_on=due_on,
        min_count=2,
        status=status,
        provisional=provisional,
        done_count=1,
        waived_reason=None,
        urgency=urgency_of(status, due_on=due_on, today=TODAY),
    )


ROWS = [
    row(1, due_on=date(2026, 11, 30), status=TaskStatus.DUE_SOON),
    row(2, due_on=date(2026, 11, 30), status=TaskStatus.DUE_SOON, branch_name=None),
    row(3, due_on=date(2026, 11, 20), status=TaskStatus.OVERDUE),
    row(4, due_on=date(2026, 12, 31), status=TaskStatus.DONE),
    row(5, due_on=date(2026, 12, 31), status=TaskStatus.WAIVED),
    row(6, due_on=date(2027, 1, 29), status=TaskStatus.UPCOMING, provisional=True),
    row(7, due_on=date(2027, 1, 15), status=TaskStatus.OPEN, rule="odd", branch_name=ODD),
    row(8, due_on=date(2027, 3, 1), status=TaskStatus.UPCOMING, rule="odd", provisional=True),
    row(9, due_on=date(2026, 12, 2), status=TaskStatus.OPEN, rule="not-in-the-catalog"),
    row(10, due_on=date(2027, 2, 1), status=TaskStatus.OPEN, period_key="2026-2027-1"),
]


def reference_event(row: TaskView) -> Event:
    """The event as the feed wrote it with icalendar's components (before issue 15)."""
    title = TITLES.get(row.rule, row.rule)
    pending = "（待定）" if row.provisional else ""
    description = (
        f"周期 {period_text(row.period_key)}，截止 {row.due_on}{pending}，"
        f"已登记 {row.done_count}/{row.min_count}"
    )
    note = "截止日期待定：缺少该年的节假日或校历数据，数据补齐后日历自动更新。"
    event = Event.new(
        uid=f"obligations-task-{row.id}",
        summary=f"【{row.status.label}】{title}（{row.org_name}）{pending}",
        start=row.due_on,
        end=row.due_on + timedelta(days=1),
        stamp=datetime.combine(TODAY, time(), tzinfo=LOCAL_TZ).astimezone(UTC),
        description=description + ("\n" + note if row.provisional else ""),
        url=f"{SITE}/tasks/{row.id}",
        status=STATUS.TENTATIVE if row.provisional else STATUS.CONFIRMED,
        transparency=TRANSP.TRANSPARENT,
    )
    reminders = REMINDERS.get(row.rule)
    open_states = {TaskStatus.UPCOMING, TaskStatus.OPEN, TaskStatus.DUE_SOON}
    if reminders is None or row.status not in open_states:
        return event
    stages = task_stages(due_on=row.due_on, opens_on=row.opens_on, reminders=reminders)
    for stage in stages:
        if stage.kind is not StageKind.BEFORE:
            break
        if stage.day < TODAY:
            continue
        days = (row.due_on - stage.day).days
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{title}：还有 {days} 天截止（{row.due_on}）")
        alarm.add("trigger", timedelta(days=-days, hours=9))
        event.add_component(alarm)
    return event


def written(rows: list[TaskView]) -> bytes:
    EVENTS.clear()
    return feed_calendar(rows, owner=OWNER, titles=TITLES, reminders=REMINDERS, today=TODAY)


def properties(component: Component) -> dict[str, object]:
    names = ["UID", "SUMMARY", "DTSTART", "DTEND", "DTSTAMP", "DESCRIPTION", "URL", "STATUS"]
    found: dict[str, object] = {name: component.decoded(name) for name in [*names, "TRANSP"]}
    found["alarms"] = [
        (alarm.decoded("TRIGGER"), str(alarm["DESCRIPTION"]), str(alarm["ACTION"]))
        for alarm in component.walk("VALARM")
    ]
    return found


def test_the_written_events_parse_to_what_icalendar_would_have_written() -> None:
    events = Calendar.from_ical(written(ROWS)).walk("VEVENT")
    assert len(events) == len(ROWS)
    for event, task in zip(events, ROWS, strict=True):
        expected = properties(Event.from_ical(reference_event(task).to_ical()))
        assert properties(event) == expected, task.id
    by_id = {int(str(e["UID"]).rsplit("-", 1)[1]): e for e in events}
    assert type(by_id[1].decoded("DTSTART")) is date and by_id[1].decoded("DTEND") == date(
        2026, 12, 1
    )
    assert by_id[1].decoded("DTSTAMP") == datetime(2026, 11, 24, 16, tzinfo=UTC)
    assert [a.decoded("TRIGGER") for a in by_id[1].walk("VALARM")] == [
        timedelta(days=-3, hours=9),
        timedelta(days=-1, hours=9),
    ]
    assert by_id[3].walk("VALARM") == [] and by_id[9].walk("VALARM") == []  # overdue; no rule
    assert len(by_id[7].walk("VALARM")) == 4  # 30, 14, 7 and 1 days before (60 is past)
    assert "生活会, 含民主评议;党员\\自评\n互评\n及 \n 整改" in str(by_id[7]["SUMMARY"])
    assert str(by_id[8]["STATUS"]) == "TENTATIVE" and "待定" in str(by_id[8]["DESCRIPTION"])
    assert str(by_id[10]["DESCRIPTION"]).startswith("周期 2026—2027学年第一学期，")


def test_the_written_events_are_the_bytes_icalendar_writes() -> None:
    expected = b"".join(reference_event(task).to_ical() for task in ROWS)
    body = written(ROWS)
    start, end = body.index(b"BEGIN:VEVENT"), body.rindex(b"END:VEVENT\r\n") + 12
    assert body[start:end] == expected
    assert written(ROWS) == body  # a second feed, written afresh, is the same


def test_long_lines_are_folded_between_characters_and_unfold_to_the_escaped_text() -> None:
    body = written(ROWS)
    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # the Chinese lines were folded
    for line in lines:
        line.decode()  # no UTF-8 character split by a fold
    unfolded = body.decode().replace("\r\n ", "")
    assert "会\\, 含民主评议\\;党员\\\\自评\\n互评\\n及 \\n 整改，" + LONG in unfolded


@pytest.mark.parametrize("size", [1, 66, 67, 68, 69, 150, 300])  # "X-TEST:" + 67 = 74 octets
@pytest.mark.parametrize("char", ["a", "党", "\\,"])
def test_a_content_line_folds_as_icalendar_folds(size: int, char: str) -> None:
    value = char * size
    expected = Contentline("X-TEST:" + value).to_ical() + b"\r\n"
    assert content_line(b"X-TEST", value.encode()) == expected


def test_an_event_written_once_serves_the_next_feed() -> None:
    first = written(ROWS)
    again = feed_calendar(
        [replace(ROWS[0]), *ROWS[1:]],
        owner=OWNER,
        titles=TITLES,
        reminders=REMINDERS,
        today=TODAY,
    )
    assert again == first and len(EVENTS) == len(ROWS)
