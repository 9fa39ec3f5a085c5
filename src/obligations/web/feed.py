"""A personal calendar feed: the person's tasks as all-day events on their due dates, and the
page where it is subscribed to (its address to copy, a ``webcal://`` link, a QR code).

The URL carries a secret token (stored hashed, so the address is shown when it is made; a new
one replaces it). The feed keeps its identity across fetches: the calendar's UID, name and
PRODID depend only on the site and the user, and each task keeps the UID
``obligations-task-<id>``, so a calendar updates an event when a due date moves instead of
adding another. A task still to be done carries alarms at the rule's "before" reminder stages
(9:00 on the day, like the server's reminders); a due date not yet fixed (no holiday or
academic calendar data for its year) is marked 待定 and TENTATIVE. Many calendar apps drop
alarms from subscribed calendars, so the server's own reminders stay the real channel.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from icalendar import Alarm, Calendar, Event, vDuration
from icalendar.enums import STATUS, TRANSP

from obligations.accounts import access
from obligations.accounts import users as accounts
from obligations.errors import NotFound
from obligations.reminders.stages import StageKind, task_stages
from obligations.rules.schema import Reminders
from obligations.tasks.listing import TaskFilter, TaskView, list_tasks
from obligations.tasks.status import TaskStatus
from obligations.web.auth import PageUser
from obligations.web.state import state_of
from obligations.web.templating import page

router = APIRouter(include_in_schema=False)
FEED_TASKS = 2000
PAST_DAYS = 90
PRODID = "-//obligations//党建任务//ZH"
REFRESH = timedelta(hours=1)  # how often a subscribed calendar should fetch the feed again
ALARM_HOUR = 9  # alarms ring at 9:00 local time, when the server's reminders go out
# The states in which a task is still to be done: only these carry alarms.
OPEN_STATES = frozenset({TaskStatus.UPCOMING, TaskStatus.OPEN, TaskStatus.DUE_SOON})
PROVISIONAL_NOTE = "截止日期待定：缺少该年的节假日或校历数据，数据补齐后日历自动更新。"


def task_uid(task_id: int) -> str:
    return f"obligations-task-{task_id}"


def calendar_uid(site: str, user_id: int) -> str:
    """The feed's own UID: the same for one user of one site on every fetch."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{site}/calendar/user/{user_id}"))


@dataclass(frozen=True)
class FeedOwner:
    user_id: int
    display_name: str
    site: str  # the site's base URL, e.g. https://dangjian.example.edu.cn


def alarms(row: TaskView, reminders: Reminders, *, title: str, today: date) -> list[Alarm]:
    """Display alarms at the rule's "before" stages (``before_days``) that are still ahead of
    ``today``, ringing at :data:`ALARM_HOUR` on the stage's day; none for a settled task."""
    if row.status not in OPEN_STATES:
        return []
    stages = task_stages(due_on=row.due_on, opens_on=row.opens_on, reminders=reminders)
    before = itertools.takewhile(lambda stage: stage.kind is StageKind.BEFORE, stages)
    result = []
    for stage in before:
        if stage.day < today:
            continue
        days = (row.due_on - stage.day).days
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{title}：还有 {days} 天截止（{row.due_on}）")
        alarm.add("trigger", timedelta(days=-days, hours=ALARM_HOUR))
        result.append(alarm)
    return result


def task_event(
    row: TaskView, *, title: str, reminders: Reminders | None, site: str, today: date, now: datetime
) -> Event:
    """One task as an all-day event on its due date (``reminders`` None: no alarms)."""
    pending = "（待定）" if row.provisional else ""
    done = f"已登记 {row.done_count}/{row.min_count}"
    description = f"周期 {row.period_key}，截止 {row.due_on}{pending}，{done}"
    event = Event.new(
        uid=task_uid(row.id),
        summary=f"【{row.status.label}】{title}（{row.org_name}）{pending}",
        start=row.due_on,
        end=row.due_on + timedelta(days=1),
        stamp=now,
        description=description + ("\n" + PROVISIONAL_NOTE if row.provisional else ""),
        url=f"{site}/tasks/{row.id}",
        status=STATUS.TENTATIVE if row.provisional else STATUS.CONFIRMED,
        transparency=TRANSP.TRANSPARENT,  # a deadline, not a busy day
    )
    if reminders is not None:
        for alarm in alarms(row, reminders, title=title, today=today):
            event.add_component(alarm)
    return event


def feed_calendar(
    rows: Iterable[TaskView],
    *,
    owner: FeedOwner,
    titles: Mapping[str, str],
    reminders: Mapping[str, Reminders],
    today: date,
    now: datetime,
) -> Calendar:
    """The feed of ``owner``: ``rows`` due from :data:`PAST_DAYS` days before ``today`` on, as
    :func:`task_event` events (``titles`` and ``reminders`` by rule id; a rule missing from
    the catalog is titled by its id and has no alarms)."""
    events = [
        task_event(
            row,
            title=titles.get(row.rule, row.rule),
            reminders=reminders.get(row.rule),
            site=owner.site,
            today=today,
            now=now,
        )
        for row in rows
        if row.due_on >= today - timedelta(days=PAST_DAYS)
    ]
    calendar = Calendar.new(
        prodid=PRODID,
        name=f"{owner.display_name}的党建任务",
        description="党组织标准化建设：本人的党建任务（截止日期）",
        uid=calendar_uid(owner.site, owner.user_id),
        refresh_interval=REFRESH,
        subcomponents=events,
    )
    calendar.add("x-published-ttl", vDuration(REFRESH))  # REFRESH-INTERVAL as Outlook reads it
    return calendar


@router.get("/calendar/{token}.ics", name="calendar_feed")
def calendar_feed(request: Request, token: str) -> Response:
    web = state_of(request)
    today = web.today()
    with web.sessions() as db:
        user = accounts.feed_token_user(db, token) if len(token) <= 100 else None
        if user is None:
            raise NotFound("日历订阅地址无效或已失效")
        principal = accounts.principal_of(db, user)
        clause = (
            access.my_task_clause(db, principal, today)
            if principal.person_id is not None
            else access.task_clause(principal)
        )
        rows = list_tasks(
            db,
            TaskFilter(visible=clause, due_within=(today - timedelta(days=PAST_DAYS), date.max)),
            today=today,
            due_soon_days=web.settings.due_soon_days,
            limit=FEED_TASKS,
        )
    rules = [located.rule for located in web.catalog.rules]
    calendar = feed_calendar(
        rows,
        owner=FeedOwner(principal.user_id, principal.display_name, site_of(request)),
        titles={rule.id: rule.title for rule in rules},
        reminders={rule.id: rule.reminders for rule in rules},
        today=today,
        now=web.now(),
    )
    return Response(
        calendar.to_ical(),
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


def site_of(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# The subscription page


def webcal(url: str) -> str:
    """The ``webcal://`` form of an http(s) feed address, which phones and desktop calendars
    open as "subscribe to this calendar"."""
    return "webcal://" + url.split("://", 1)[1]


def qr_data_uri(text: str) -> str:
    """A QR code of ``text`` as an SVG ``data:`` URI (for an ``<img>``; the page's policy
    allows ``data:`` images)."""
    return str(segno.make(text, error="m").svg_data_uri(border=2))


def _feed_page(request: Request, auth: PageUser, url: str | None = None) -> Response:
    context: dict[str, Any] = {}
    if url is not None:
        context = {"feed_url": url, "webcal_url": webcal(url), "qr": qr_data_uri(webcal(url))}
    return page(request, "calendar.html", auth, **context)


@router.get("/account/calendar")
def subscribe_page(request: Request, auth: PageUser) -> Response:
    """How to subscribe, and the button that makes the address."""
    return _feed_page(request, auth)


@router.post("/account/calendar-feed")
def create_feed(
    request: Request, auth: PageUser, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """A new feed address (the earlier one stops working), shown to copy, open or scan."""
    auth.check_csrf(csrf_token)
    state = state_of(request)
    with state.sessions.begin() as db:
        user = accounts.get_user(db, auth.principal.username)
        token = accounts.create_feed_token(db, user, now=state.now())
    return _feed_page(request, auth, str(request.url_for("calendar_feed", token=token)))
