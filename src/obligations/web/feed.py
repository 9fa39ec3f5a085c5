"""A personal calendar feed: the person's tasks as all-day events on their due dates.

The URL carries a secret token (stored hashed). Each task keeps the same UID in every version
of the feed, so a calendar updates its event when a due date moves instead of adding another.
Subscribed calendars drop alarms and ignore to-dos, so the feed is a convenience; reminders
are sent by the server.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from icalendar import Calendar, Event

from obligations.accounts import access
from obligations.accounts import users as accounts
from obligations.errors import NotFound
from obligations.tasks.listing import TaskFilter, list_tasks
from obligations.web.state import state_of

router = APIRouter(include_in_schema=False)
FEED_TASKS = 2000
PAST_DAYS = 90


def task_uid(task_id: int) -> str:
    return f"obligations-task-{task_id}"


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
            TaskFilter(visible=clause),
            today=today,
            due_soon_days=web.settings.due_soon_days,
            limit=FEED_TASKS,
        )
    titles = {located.rule.id: located.rule.title for located in web.catalog.rules}
    base = str(request.base_url).rstrip("/")
    events = [
        Event.new(
            uid=task_uid(row.id),
            summary=f"【{row.status.label}】{titles.get(row.rule, row.rule)}（{row.org_name}）",
            start=row.due_on,
            end=row.due_on + timedelta(days=1),
            description=(
                f"周期 {row.period_key}，截止 {row.due_on}，已登记 {row.done_count}/{row.min_count}"
            ),
            url=f"{base}/tasks/{row.id}",
        )
        for row in rows
        if row.due_on >= today - timedelta(days=PAST_DAYS)
    ]
    calendar = Calendar.new(
        prodid="-//obligations//党建任务//ZH",
        name=f"{principal.display_name}的党建任务",
        subcomponents=events,
    )
    return Response(
        calendar.to_ical(),
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )
