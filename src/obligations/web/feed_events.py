"""The calendar feed's events as iCalendar text: a task as an all-day event on its due date,
with display alarms at its rule's "before" reminder stages.

The text is the one icalendar's ``Event.new(...).to_ical()`` writes for the same task (same
properties in the same order, same escaping and folding; the tests compare the two), but it
is written here line by line rather than through icalendar's components. Why: building an
``Event`` and serializing it cost about 0.17 ms per event, 50 of the 65 ms of a college-wide
feed of 300 events written afresh (issue 15), almost all of it in the component machinery
(a ``Parameters`` and a caseless dict per property, a type lookup per value, and folding
every line character by character), none of it needed for nine short properties. icalendar
still does what needs care: escaping text (``vText``), the date, date-time and duration values
(``vDDDTypes``) and folding the lines longer than 75 octets (``Contentline``,
which never splits a UTF-8 character or an escape).

Values shared by many events of one feed (a day's DTSTART and DTEND, a period's words, the
alarms of a rule's tasks due on one day) are written once per :class:`EventWriter`, that is
once per feed.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from icalendar import vDDDTypes, vText, vUri
from icalendar.parser import Contentline

from obligations.reminders.stages import StageKind, task_stages
from obligations.rules.periods import period_text
from obligations.rules.schema import Reminders
from obligations.tasks.listing import TaskView
from obligations.tasks.status import TaskStatus
from obligations.timeutil import LOCAL_TZ

ALARM_HOUR = 9  # alarms ring at 9:00 local time, when the server's reminders go out
# The states in which a task is still to be done: only these carry alarms.
OPEN_STATES = frozenset({TaskStatus.UPCOMING, TaskStatus.OPEN, TaskStatus.DUE_SOON})
PROVISIONAL_NOTE = "截止日期待定：缺少该年的节假日或校历数据，数据补齐后日历自动更新。"

CRLF = b"\r\n"
# A content line of up to 74 octets is written as it is; a longer one is folded (the limit
# icalendar's folding keeps: a line never reaches 75 octets before its break).
_FOLD_AT = 75
_FIXED = {  # the lines every event carries, by whether its due date is provisional
    False: b"STATUS:CONFIRMED\r\nTRANSP:TRANSPARENT\r\n",  # a deadline, not a busy day
    True: b"STATUS:TENTATIVE\r\nTRANSP:TRANSPARENT\r\n",
}


def local_midnight(day: date) -> datetime:
    """The start of ``day`` in local time, as an aware UTC instant."""
    return datetime.combine(day, time(), tzinfo=LOCAL_TZ).astimezone(UTC)


def task_uid(task_id: int) -> str:
    return f"obligations-task-{task_id}"


def content_line(name: bytes, value: bytes) -> bytes:
    """``name:value`` (``name`` may carry parameters, ``value`` is already in iCalendar
    form, UTF-8) ending in CRLF, folded as icalendar folds it when 75 octets or longer."""
    line = name + b":" + value
    if len(line) < _FOLD_AT:
        return line + CRLF
    folded = Contentline(line.decode()).to_ical()  # type: ignore[no-untyped-call]
    return bytes(folded) + CRLF


def text_line(name: bytes, value: str) -> bytes:
    """A TEXT property (escaped: ``\\``, ``;``, ``,``, newlines)."""
    return content_line(name, vText(value).to_ical())


class EventWriter:
    """Writes the events of one feed: its rows' titles and reminder stages by rule id (a rule
    missing from ``titles`` is titled by its id; one missing from ``reminders`` has no
    alarms), links under ``site``, states and alarms as on ``today``, each event stamped
    with the start of ``today`` (DTSTAMP: an event's text changes with the day, when its
    state and alarms may, not on every fetch)."""

    def __init__(
        self,
        *,
        titles: Mapping[str, str],
        reminders: Mapping[str, Reminders],
        site: str,
        today: date,
    ) -> None:
        self.titles, self.reminders, self.site, self.today = titles, reminders, site, today
        self._stamp = content_line(b"DTSTAMP", vDDDTypes(local_midnight(today)).to_ical())
        self._days: dict[date, bytes] = {}
        self._periods: dict[str, str] = {}
        self._alarms: dict[tuple[str, date, date], bytes] = {}

    def event(self, row: TaskView) -> bytes:
        """``row`` as a VEVENT: summary, the due date as an all-day DTSTART/DTEND, stamp, UID,
        description, STATUS (TENTATIVE for a due date not yet fixed), TRANSP, URL, then the
        alarms of a task still to be done."""
        title = self.titles.get(row.rule, row.rule)
        pending = "（待定）" if row.provisional else ""
        description = (
            f"周期 {self._period(row.period_key)}，截止 {row.due_on}{pending}，"
            f"已登记 {row.done_count}/{row.min_count}"
        )
        if row.provisional:
            description += "\n" + PROVISIONAL_NOTE
        link = vUri(f"{self.site}/tasks/{row.id}").to_ical()
        return b"".join(
            (
                b"BEGIN:VEVENT\r\n",
                text_line(b"SUMMARY", f"【{row.status.label}】{title}（{row.org_name}）{pending}"),
                self._dates(row.due_on),
                self._stamp,
                text_line(b"UID", task_uid(row.id)),
                text_line(b"DESCRIPTION", description),
                _FIXED[row.provisional],
                content_line(b"URL", link),
                self._alarms_of(row, title) if row.status in OPEN_STATES else b"",
                b"END:VEVENT\r\n",
            )
        )

    def _dates(self, day: date) -> bytes:
        lines = self._days.get(day)
        if lines is None:
            start, end = vDDDTypes(day).to_ical(), vDDDTypes(day + timedelta(days=1)).to_ical()
            lines = content_line(b"DTSTART;VALUE=DATE", start)
            lines += content_line(b"DTEND;VALUE=DATE", end)
            self._days[day] = lines
        return lines

    def _period(self, key: str) -> str:
        words = self._periods.get(key)
        if words is None:
            words = self._periods[key] = period_text(key)
        return words

    def _alarms_of(self, row: TaskView, title: str) -> bytes:
        """The VALARMs of an open task: one at each "before" stage (``before_days``) not
        before today, ringing at :data:`ALARM_HOUR` on the stage's day. The same for every
        task of the rule due and opening on the same days."""
        key = (row.rule, row.due_on, row.opens_on)
        found = self._alarms.get(key)
        if found is None:
            reminders = self.reminders.get(row.rule)
            found = b""
            if reminders is not None:
                found = b"".join(
                    _alarm(title, row.due_on, days)
                    for days in before_stages(row, reminders, today=self.today)
                )
            self._alarms[key] = found
        return found


def before_stages(row: TaskView, reminders: Reminders, *, today: date) -> list[int]:
    """The days before the due date of the task's "before" reminder stages still ahead of
    ``today`` (on or after it), earliest stage first."""
    stages = task_stages(due_on=row.due_on, opens_on=row.opens_on, reminders=reminders)
    before = itertools.takewhile(lambda stage: stage.kind is StageKind.BEFORE, stages)
    return [(row.due_on - stage.day).days for stage in before if stage.day >= today]


def _alarm(title: str, due_on: date, days: int) -> bytes:
    trigger = vDDDTypes(timedelta(days=-days, hours=ALARM_HOUR)).to_ical()  # a DURATION
    return b"".join(
        (
            b"BEGIN:VALARM\r\nACTION:DISPLAY\r\n",
            text_line(b"DESCRIPTION", f"{title}：还有 {days} 天截止（{due_on}）"),
            content_line(b"TRIGGER", trigger),
            b"END:VALARM\r\n",
        )
    )
