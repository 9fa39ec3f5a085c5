"""The calendar feed people subscribe to: found from "我的任务", its address to copy, open as
``webcal://`` or scan; the same calendar identity on every fetch; alarms from the rule's
reminder stages; provisional (待定) due dates marked."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import segno
from icalendar import Calendar
from tests.web_support import WebWorld, web, world_template

from obligations.rules.schema import Reminders
from obligations.tasks.listing import TaskView
from obligations.tasks.status import TaskStatus
from obligations.tasks.urgency import urgency_of
from obligations.web.feed import FeedOwner, feed_calendar

__all__ = ["web", "world_template"]

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
OWNER = FeedOwner(user_id=7, display_name="赵支书", site="https://dangjian.example.edu.cn")


def row(task_id: int, *, due_on: date, status: TaskStatus, provisional: bool = False) -> TaskView:
    return TaskView(
        id=task_id,
        rule="theme-party-day",
        title="主题党日",
        ledger_item="4.3",
        unit="U01",
        unit_name="机电学院党总支",
        branch="U01-B01",
        branch_name="第一党支部",
        person=None,
        person_name=None,
        period_key=f"{due_on:%Y-%m}",
        period_start=due_on.replace(day=1),
        period_end=due_on,
        opens_on=due_on.replace(day=1),
        due_on=due_on,
        min_count=1,
        status=status,
        provisional=provisional,
        done_count=0,
        waived_reason=None,
        urgency=urgency_of(status, due_on=due_on, today=TODAY),
    )


def feed(*rows: TaskView, reminders: Reminders | None = None) -> Calendar:
    ical = feed_calendar(
        rows,
        owner=OWNER,
        titles={"theme-party-day": "主题党日"},
        reminders={"theme-party-day": reminders or Reminders(before_days=[7, 3, 1])},
        today=TODAY,
    )
    return Calendar.from_ical(ical)


def subscribe(web: WebWorld, username: str) -> str:
    """The subscription page with a new address, as the user reaches it from "我的任务"."""
    client, csrf = web.login(username)
    my = client.get("/my").text
    assert 'href="/account/calendar"' in my
    assert client.get("/account/calendar").status_code == 200
    return client.post("/account/calendar-feed", data={"csrf_token": csrf}).text


def feed_path(page: str) -> str:
    match = re.search(r'<input id="feed-url" value="([^"]+)"', page)
    assert match, page
    return unescape(match.group(1)).replace("http://testserver", "")


def test_the_feed_keeps_its_calendar_identity_on_every_fetch(web: WebWorld) -> None:
    path = feed_path(subscribe(web, "b1_secretary"))
    first = Calendar.from_ical(web.client.get(path).content)
    web.clock[0] += timedelta(hours=3)
    again = Calendar.from_ical(web.client.get(path).content)
    for name in ("UID", "PRODID", "X-WR-CALNAME", "NAME", "REFRESH-INTERVAL", "X-PUBLISHED-TTL"):
        assert str(first[name]) == str(again[name]), name
    assert str(first["X-WR-CALNAME"]) == "b1_secretary的党建任务"
    assert first["X-PUBLISHED-TTL"].to_ical() == b"PT1H"
    assert [str(e["UID"]) for e in first.walk("VEVENT")] == [
        str(e["UID"]) for e in again.walk("VEVENT")
    ]


def test_two_users_have_two_calendars(web: WebWorld) -> None:
    mine = Calendar.from_ical(web.client.get(feed_path(subscribe(web, "b1_secretary"))).content)
    theirs = Calendar.from_ical(web.client.get(feed_path(subscribe(web, "u01_manager"))).content)
    assert str(mine["UID"]) != str(theirs["UID"])


def test_a_task_to_be_done_rings_at_nine_on_each_before_stage_still_ahead() -> None:
    calendar = feed(row(1, due_on=date(2026, 11, 30), status=TaskStatus.DUE_SOON))
    (event,) = calendar.walk("VEVENT")
    triggers = [alarm["TRIGGER"].dt for alarm in event.walk("VALARM")]
    # 7 days before (11-23) has passed; 3 days and 1 day before ring at 9:00 on their day.
    assert triggers == [timedelta(days=-3, hours=9), timedelta(days=-1, hours=9)]
    assert {str(a["ACTION"]) for a in event.walk("VALARM")} == {"DISPLAY"}
    assert "还有 3 天截止" in str(event.walk("VALARM")[0]["DESCRIPTION"])


def test_the_alarms_follow_the_rules_own_reminder_stages() -> None:
    calendar = feed(
        row(1, due_on=date(2026, 12, 31), status=TaskStatus.OPEN),
        reminders=Reminders(before_days=[14, 2]),
    )
    triggers = [a["TRIGGER"].dt for a in calendar.walk("VALARM")]
    assert triggers == [timedelta(days=-14, hours=9), timedelta(days=-2, hours=9)]


def test_done_waived_and_overdue_tasks_carry_no_alarm() -> None:
    calendar = feed(
        row(1, due_on=date(2026, 12, 31), status=TaskStatus.DONE),
        row(2, due_on=date(2026, 12, 31), status=TaskStatus.WAIVED),
        row(3, due_on=date(2026, 11, 20), status=TaskStatus.OVERDUE),
    )
    assert len(calendar.walk("VEVENT")) == 3 and calendar.walk("VALARM") == []


def test_a_provisional_due_date_is_marked_pending_and_tentative() -> None:
    calendar = feed(
        row(1, due_on=date(2027, 1, 29), status=TaskStatus.UPCOMING, provisional=True),
        row(2, due_on=date(2026, 12, 31), status=TaskStatus.OPEN),
    )
    pending, fixed = calendar.walk("VEVENT")
    assert "待定" in str(pending["SUMMARY"]) and "待定" in str(pending["DESCRIPTION"])
    assert str(pending["STATUS"]) == "TENTATIVE"
    assert str(pending["DESCRIPTION"]).startswith("周期 2027年1月，")
    assert "待定" not in str(fixed["SUMMARY"]) and str(fixed["STATUS"]) == "CONFIRMED"


def test_the_web_feed_carries_alarms_for_the_secretarys_open_tasks(web: WebWorld) -> None:
    calendar = Calendar.from_ical(web.client.get(feed_path(subscribe(web, "b1_secretary"))).content)
    ringing = [e for e in calendar.walk("VEVENT") if e.walk("VALARM")]
    assert ringing, "no open task of the secretary has an alarm"
    for event in ringing:
        assert event.decoded("DTSTART") >= date(2026, 11, 25)
        assert "【已完成】" not in str(event["SUMMARY"])


def test_the_subscription_page_offers_a_copy_button_a_webcal_link_and_a_qr_code(
    web: WebWorld,
) -> None:
    page = subscribe(web, "b1_secretary")
    url = "http://testserver" + feed_path(page)
    webcal = "webcal://testserver" + feed_path(page)
    assert f'href="{webcal}"' in page
    assert 'class="copy" data-copy="feed-url"' in page
    assert '<script src="/static/copy.js" defer></script>' in page and "<script>" not in page
    qr = re.search(r'<img class="qr" src="([^"]+)" alt="[^"]+"', page)
    assert qr is not None
    assert unescape(qr.group(1)) == segno.make(webcal, error="m").svg_data_uri(border=2)
    assert web.client.get(url.replace("http://testserver", "")).status_code == 200
    assert web.client.get("/static/copy.js").status_code == 200


def test_the_account_page_links_to_the_subscription_page(web: WebWorld) -> None:
    client, _ = web.login("b1_secretary")
    assert 'href="/account/calendar"' in client.get("/account").text
