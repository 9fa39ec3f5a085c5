"""A personal calendar feed: the person's tasks as all-day events on their due dates, and the
page where it is subscribed to (its address to copy, a ``webcal://`` link, a QR code).

The URL carries a token derived from the server's feed key and a per-user nonce
(:mod:`obligations.accounts.feed_address`), so the page shows the address whenever it is
opened; making a new one breaks the old. The feed keeps its identity across fetches: the
calendar's UID, name and PRODID depend only on the site and the user, and each task keeps the
UID ``obligations-task-<id>``, so a calendar updates an event when a due date moves instead of
adding another. A task still to be done carries alarms at the rule's "before" reminder stages
(9:00 on the day, like the server's reminders); a due date not yet fixed (no holiday or
academic calendar data for its year) is marked 待定 and TENTATIVE. Many calendar apps drop
alarms from subscribed calendars, so the server's own reminders stay the real channel.

The feed carries the tasks due nearest today in a window of due dates
(:mod:`obligations.tasks.feed_window`), read on an index. Calendar apps poll every few minutes
to every few hours: each answer has an ETag and a Last-Modified computed from the rows
without writing the calendar, a client whose copy is current gets 304, and a body once written
is kept by its ETag, and each event by what it is written from
(:mod:`obligations.web.feed_cache`), so an unchanged feed is written once. The events are
written line by line (:mod:`obligations.web.feed_events`), the calendar around them by
icalendar, once per owner.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from icalendar import Calendar, vDuration
from sqlalchemy.orm import Session

from obligations.accounts import access
from obligations.accounts import users as accounts
from obligations.accounts.feed_address import feed_token, feed_user, has_old_address
from obligations.accounts.feed_address import new_feed_address as make_new_address
from obligations.errors import NotFound
from obligations.models import User
from obligations.rules.schema import Reminders, Rule
from obligations.tasks.feed_window import FeedPick, feed_rows, pick_feed
from obligations.tasks.listing import TaskView
from obligations.web.auth import PageUser
from obligations.web.feed_cache import BODIES, EVENTS
from obligations.web.feed_events import EventWriter, local_midnight
from obligations.web.state import state_of
from obligations.web.templating import page

router = APIRouter(include_in_schema=False)
PRODID = "-//obligations//党建任务//ZH"
REFRESH = timedelta(hours=1)  # how often a subscribed calendar should fetch the feed again
# Only the subscriber's calendar may keep a copy (the address is a secret), for five minutes,
# then revalidates with the ETag.
CACHE_CONTROL = "private, max-age=300"
# Bumped when the feed's text changes for the same rows (the ETag digests it). Still 2 after
# issue 15: the line-by-line writer writes the bytes icalendar wrote (see its test).
FEED_FORMAT = 2


def calendar_uid(site: str, user_id: int) -> str:
    """The feed's own UID: the same for one user of one site on every fetch."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{site}/calendar/user/{user_id}"))


@dataclass(frozen=True)
class FeedOwner:
    user_id: int
    display_name: str
    site: str  # the site's base URL, e.g. https://dangjian.example.edu.cn


def feed_calendar(
    rows: Iterable[TaskView],
    *,
    owner: FeedOwner,
    titles: Mapping[str, str],
    reminders: Mapping[str, Reminders],
    today: date,
) -> bytes:
    """The feed of ``owner`` as iCalendar text: ``rows`` as
    :meth:`~obligations.web.feed_events.EventWriter.event` events (``titles`` and
    ``reminders`` by rule id; a rule missing from the catalog is titled by its id and has no
    alarms), inside :func:`calendar_shell`. Each event's text is kept in :data:`EVENTS` by
    everything it is written from."""
    writer = EventWriter(titles=titles, reminders=reminders, site=owner.site, today=today)
    rules: dict[str, tuple[str, str]] = {}  # a rule's part of the key, made once per feed
    events = []
    for row in rows:
        rule = rules.get(row.rule)
        if rule is None:
            rule = rules[row.rule] = (titles.get(row.rule, row.rule), repr(reminders.get(row.rule)))
        key = (FEED_FORMAT, row, *rule, owner.site, today)
        event = EVENTS.get(key)
        if event is None:
            event = EVENTS.put(key, writer.event(row))
        events.append(event)
    head, tail = calendar_shell(owner)
    return head + b"".join(events) + tail


@functools.lru_cache(maxsize=1024)
def calendar_shell(owner: FeedOwner) -> tuple[bytes, bytes]:
    """The calendar around the events of ``owner``'s feed, as the text before and after them
    (the same on every fetch: kept per owner)."""
    calendar = Calendar.new(
        prodid=PRODID,
        name=f"{owner.display_name}的党建任务",
        description="党组织标准化建设：本人的党建任务（截止日期）",
        uid=calendar_uid(owner.site, owner.user_id),
        refresh_interval=REFRESH,
    )
    calendar.add("x-published-ttl", vDuration(REFRESH))  # REFRESH-INTERVAL as Outlook reads it
    shell: bytes = calendar.to_ical()
    end = shell.rindex(b"END:VCALENDAR")
    return shell[:end], shell[end:]


@dataclass(frozen=True)
class FeedState:
    """What a fetch of the feed would carry, known without reading its rows or writing it: the
    picked tasks, the owner and the validators (ETag, Last-Modified)."""

    pick: FeedPick
    owner: FeedOwner
    etag: str
    last_modified: datetime


def feed_state(
    db: Session, user: User, *, site: str, rules: Mapping[str, Rule], today: date, soon: int
) -> FeedState:
    """The feed of ``user`` on ``today``: the tasks due nearest today in its window
    (:func:`obligations.tasks.feed_window.pick_feed`) and its validators. The ETag digests
    what the body is written from: the format, the day and the due-soon days (states and
    alarms follow them), the owner, the picked tasks with their due dates and rules, the used
    rules' titles and reminder stages, and the last change of the tasks, their records,
    the organizations and the user; so an unchanged ETag means an unchanged body. The last
    modification is that last change, or the start of ``today`` if later."""
    principal = accounts.principal_of(db, user)
    lanes = (
        access.my_task_lanes(db, principal, today)
        if principal.person_id is not None
        else [access.task_clause(principal)]
    )
    pick = pick_feed(db, lanes, today=today, due_soon_days=soon)
    owner = FeedOwner(principal.user_id, principal.display_name, site)
    changes = [user.updated_at, local_midnight(today), pick.changed_at]
    last_modified = max(c for c in changes if c is not None).replace(microsecond=0)
    used = sorted({rule for _, _, rule in pick.tasks})
    meta = [(rule, *_rule_parts(rules.get(rule))) for rule in used]
    exact = [user.updated_at, pick.changed_at]  # to the microsecond
    digest = hashlib.sha256(
        repr((FEED_FORMAT, today, soon, owner, exact, pick.tasks, meta)).encode()
    )
    return FeedState(pick, owner, f'"{digest.hexdigest()[:32]}"', last_modified)


def _rule_parts(rule: Rule | None) -> tuple[str | None, Reminders | None]:
    return (rule.title, rule.reminders) if rule is not None else (None, None)


def not_modified(request: Request, state: FeedState) -> bool:
    """Whether the client's copy is current: its If-None-Match names the ETag (or ``*``), or,
    without If-None-Match, its If-Modified-Since is not before the last modification
    (RFC 9110 section 13.2.2)."""
    tags = request.headers.get("if-none-match")
    if tags is not None:
        offered = {tag.strip().removeprefix("W/") for tag in tags.split(",")}
        return "*" in offered or state.etag in offered
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return when.tzinfo is not None and state.last_modified <= when


@router.api_route("/calendar/{token}.ics", methods=["GET", "HEAD"], name="calendar_feed")
def calendar_feed(request: Request, token: str) -> Response:
    """The feed: 304 when the client's copy is current, else the body (kept in
    :data:`BODIES` by its ETag, so an unchanged feed is read and written once). HEAD
    answers as GET does (same status, ETag and Content-Length) without the body, for
    calendar clients that check for changes that way (RFC 9110 section 9.3.2)."""
    web = state_of(request)
    today, soon = web.today(), web.settings.due_soon_days
    rules = {located.rule.id: located.rule for located in web.catalog.rules}
    with web.sessions() as db:
        user = feed_user(db, web.feed_key, token) if len(token) <= 100 else None
        if user is None:
            raise NotFound("日历订阅地址无效或已失效；请在“订阅日历”页面查看当前地址")
        state = feed_state(db, user, site=site_of(request), rules=rules, today=today, soon=soon)
        headers = {
            "Cache-Control": CACHE_CONTROL,
            "ETag": state.etag,
            "Last-Modified": format_datetime(state.last_modified.astimezone(UTC), usegmt=True),
        }
        if not_modified(request, state):
            return Response(status_code=304, headers=headers)
        body = BODIES.get(state.etag)
        rows = (
            [] if body is not None else feed_rows(db, state.pick, today=today, due_soon_days=soon)
        )
    if body is None:
        text = feed_calendar(
            rows,
            owner=state.owner,
            titles={rule.id: rule.title for rule in rules.values()},
            reminders={rule.id: rule.reminders for rule in rules.values()},
            today=today,
        )
        body = BODIES.put(state.etag, text)
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(media_type="text/calendar; charset=utf-8", headers=headers)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


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


def _feed_page(
    request: Request, auth: PageUser, *, problem: str | None = None, status_code: int = 200
) -> Response:
    state = state_of(request)
    with state.sessions() as db:
        user = accounts.get_user(db, auth.principal.username)
        token = feed_token(state.feed_key, user)
        old = token is None and has_old_address(db, user)
    context: dict[str, Any] = {"old_address": old, "problem": problem}
    if token is not None:
        url = str(request.url_for("calendar_feed", token=token))
        context |= {"feed_url": url, "webcal_url": webcal(url), "qr": qr_data_uri(webcal(url))}
    response = page(request, "calendar.html", auth, **context)
    response.status_code = status_code
    return response


@router.get("/account/calendar")
def subscribe_page(request: Request, auth: PageUser) -> Response:
    """How to subscribe: the address (whenever it is opened, once made) and the button that
    makes a new one."""
    return _feed_page(request, auth)


@router.post("/account/calendar-feed")
def create_feed(
    request: Request,
    auth: PageUser,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A new feed address. Replacing a working one (which stops working) needs ``confirm``;
    without it the page says so (400) and nothing changes."""
    auth.check_csrf(csrf_token)
    state = state_of(request)
    with state.sessions.begin() as db:
        user = accounts.get_user(db, auth.principal.username)
        replacing = user.feed_nonce is not None or has_old_address(db, user)
        if replacing and confirm != "yes":
            problem = "请先勾选“我知道旧地址将失效”再重新生成；未勾选时旧地址保持有效。"
            return _feed_page(request, auth, problem=problem, status_code=400)
        make_new_address(db, user, now=state.now())
    return _feed_page(request, auth)
