"""The calendar feed as subscribed calendars fetch it, on both databases: who sees what, the
validators (ETag, Last-Modified, 304), and an address the page shows again (issues 13, 15)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from html import unescape
from pathlib import Path

import pytest
from icalendar import Calendar
from pydantic import ValidationError
from sqlalchemy import func, or_, select
from tests.access_grid import _postgres_world
from tests.evidence_support import add_to_task
from tests.storage_samples import PDF
from tests.web_support import FAST_HASHER, WebWorld, make_web_world, world_template

from obligations.accounts import access
from obligations.accounts import users as accounts
from obligations.accounts.feed_address import load_feed_key
from obligations.evidence.intake import Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.models import CalendarFeedToken, Organization, Person, Task
from obligations.settings import Settings
from obligations.vocabulary import EvidenceKind
from obligations.web.feed_cache import BODIES, EVENTS

__all__ = ["world_template"]
TODAY = date(2026, 11, 25)


@pytest.fixture(params=["sqlite", "postgresql"])
def web(
    request: pytest.FixtureRequest,
    world_template: tuple[Path, dict[str, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[WebWorld]:
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    if request.param == "sqlite":
        yield from make_web_world(world_template, tmp_path / "data")
    else:
        yield from _postgres_world(tmp_path / "data")


def shown_address(web: WebWorld, username: str) -> str | None:
    """The address the calendar page shows ``username`` (a path), if any."""
    client, _ = web.login(username)
    page = client.get("/account/calendar")
    assert page.status_code == 200
    match = re.search(r'<input id="feed-url" value="([^"]+)"', page.text)
    return unescape(match.group(1)).replace("http://testserver", "") if match else None


def make_address(web: WebWorld, username: str, *, confirm: bool = True) -> str:
    client, csrf = web.login(username)
    form = {"csrf_token": csrf} | ({"confirm": "yes"} if confirm else {})
    page = client.post("/account/calendar-feed", data=form)
    assert page.status_code == 200, page.text
    address = shown_address(web, username)
    assert address is not None
    return address


def uids(web: WebWorld, path: str) -> set[int]:
    answer = web.client.get(path)
    assert answer.status_code == 200
    events = Calendar.from_ical(answer.content).walk("VEVENT")
    return {int(str(e["UID"]).removeprefix("obligations-task-")) for e in events}


def test_the_administrator_gets_the_tasks_due_near_today_of_every_unit(web: WebWorld) -> None:
    path = make_address(web, "admin")
    answer = web.client.get(path)
    events = Calendar.from_ical(answer.content).walk("VEVENT")
    starts = [e.decoded("DTSTART") for e in events]
    assert min(starts) >= TODAY - timedelta(days=90) and max(starts) <= TODAY + timedelta(days=365)
    assert any(start >= date(2026, 9, 1) for start in starts)
    with web.sessions() as db:
        window = Task.due_on.between(TODAY - timedelta(days=90), TODAY + timedelta(days=365))
        expected = set(db.scalars(select(Task.id).where(window, Task.retired_at.is_(None))))
        units = db.scalar(select(func.count(func.distinct(Task.unit_id))).where(window))
    assert 0 < len(expected) <= 300 and units == 2
    assert uids(web, path) == expected
    assert {web.ids["task_b1"], web.ids["task_u02"]} <= expected


def test_a_branch_secretary_gets_only_what_they_owe(web: WebWorld) -> None:
    found = uids(web, make_address(web, "b1_secretary"))
    with web.sessions() as db:
        branch = db.scalar(select(Organization.id).where(Organization.code == "U01-B01"))
        person = db.scalar(select(Person.id).where(Person.code == "PB1"))
        theirs = set(
            db.scalars(
                select(Task.id).where(or_(Task.organization_id == branch, Task.person_id == person))
            )
        )
        principal = accounts.principal_of(db, accounts.get_user(db, "b1_secretary"))
        window = Task.due_on.between(TODAY - timedelta(days=90), TODAY + timedelta(days=365))
        owed = access.my_task_clause(db, principal, TODAY)
        expected = set(db.scalars(select(Task.id).where(owed, window, Task.retired_at.is_(None))))
    assert found == expected and found <= theirs
    assert web.ids["task_b1"] in found
    assert web.ids["task_u02"] not in found and web.ids["task_u01"] not in found


def test_an_unchanged_feed_answers_304_to_its_etag_or_its_date(web: WebWorld) -> None:
    path = make_address(web, "b1_secretary")
    first = web.client.get(path)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.headers["cache-control"] == "private, max-age=300"
    again = web.client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert web.client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    listed = {"If-None-Match": f'"other", W/{etag}'}  # weak comparison, as RFC 9110 asks
    assert web.client.get(path, headers=listed).status_code == 304
    # If-None-Match decides when both are sent.
    both = {"If-None-Match": '"other"', "If-Modified-Since": modified}
    assert web.client.get(path, headers=both).status_code == 200
    assert web.client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(modified) - timedelta(seconds=1), True)
    assert web.client.get(path, headers={"If-Modified-Since": earlier}).status_code == 200
    # The same rows give the same text (events stamped with the last change, not the fetch).
    web.clock[0] += timedelta(minutes=10)
    assert web.client.get(path).content == first.content


def test_head_on_the_feed_answers_like_get_without_a_body(web: WebWorld) -> None:
    path = make_address(web, "b1_secretary")
    got = web.client.get(path)
    head = web.client.head(path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == str(len(got.content))
    current = web.client.head(path, headers={"If-None-Match": got.headers["etag"]})
    assert current.status_code == 304
    assert web.client.head(path.replace(".ics", "x.ics")).status_code == 404


def test_new_evidence_changes_the_etag_and_the_last_modified(web: WebWorld) -> None:
    path = make_address(web, "b1_secretary")
    first = web.client.get(path)
    web.clock[0] += timedelta(hours=2)
    store = LocalBlobStore(web.settings.evidence_dir)
    policy = EvidencePolicy(limits=UploadLimits(max_bytes=100_000))
    with web.sessions.begin() as db:
        add_to_task(
            db,
            store,
            policy,
            task_id=web.ids["task_b1"],
            data=EvidenceInput(
                title="补充记录", held_on=date(2026, 10, 20), kind=EvidenceKind.MINUTES
            ),
            uploads=[Upload("记录.pdf", io.BytesIO(PDF))],
            actor="test",
            now=web.clock[0],
        )
    after = web.client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != first.headers["etag"]
    assert parsedate_to_datetime(after.headers["last-modified"]) == web.clock[0]
    (event,) = [
        e
        for e in Calendar.from_ical(after.content).walk("VEVENT")
        if str(e["UID"]) == f"obligations-task-{web.ids['task_b1']}"
    ]
    assert "已登记 1/" in str(event["DESCRIPTION"])


def test_the_next_day_changes_the_etag(web: WebWorld) -> None:
    path = make_address(web, "b1_secretary")
    first = web.client.get(path)
    web.clock[0] += timedelta(days=1)
    after = web.client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != first.headers["etag"]


def test_the_address_shown_again_on_the_calendar_page_is_the_one_that_works(
    web: WebWorld,
) -> None:
    assert shown_address(web, "b1_secretary") is None  # none made yet
    made = make_address(web, "b1_secretary")
    web.clock[0] += timedelta(days=3)
    shown = shown_address(web, "b1_secretary")
    assert shown == made and shown.startswith("/calendar/")
    assert web.client.get(shown).status_code == 200
    # Derived, not stored: nothing in the database carries the token.
    token = shown.removeprefix("/calendar/").removesuffix(".ics")
    with web.sessions() as db:
        assert db.scalar(select(func.count()).select_from(CalendarFeedToken)) == 0
        nonce = db.scalar(
            select(accounts.User.feed_nonce).where(accounts.User.username == "b1_secretary")
        )
    assert nonce is not None and nonce not in token


def test_a_new_address_needs_confirming_and_breaks_the_old_one(web: WebWorld) -> None:
    old = make_address(web, "b1_secretary")
    client, csrf = web.login("b1_secretary")
    refused = client.post("/account/calendar-feed", data={"csrf_token": csrf})
    assert refused.status_code == 400 and "我知道旧地址将失效" in refused.text
    assert shown_address(web, "b1_secretary") == old
    assert web.client.get(old).status_code == 200
    new = make_address(web, "b1_secretary")
    assert new != old
    assert web.client.get(old).status_code == 404
    assert web.client.get(new).status_code == 200


def test_an_address_with_another_servers_key_or_a_forged_mac_is_not_found(
    web: WebWorld,
) -> None:
    path = make_address(web, "b1_secretary")
    user_id, mac = path.removeprefix("/calendar/").removesuffix(".ics").split("-", 1)
    forged = f"/calendar/{user_id}-{'A' * len(mac)}.ics"
    other_user = f"/calendar/{int(user_id) + 1}-{mac}.ics"
    assert web.client.get(forged).status_code == 404
    assert web.client.get(other_user).status_code == 404


def test_an_address_made_before_keeps_working_until_a_new_one_is_made(web: WebWorld) -> None:
    token = "an-address-made-before-migration-0018-xxxxx"
    with web.sessions.begin() as db:
        user = accounts.get_user(db, "b1_secretary")
        db.add(
            CalendarFeedToken(
                user_id=user.id, token_hash=accounts.digest(token), created_at=web.clock[0]
            )
        )
    old = f"/calendar/{token}.ics"
    assert web.client.get(old).status_code == 200
    client, _ = web.login("b1_secretary")
    page = client.get("/account/calendar").text
    assert 'id="old-address"' in page and 'id="confirm-rotate"' in page
    new = make_address(web, "b1_secretary")
    assert web.client.get(old).status_code == 404
    assert web.client.get(new).status_code == 200


def test_the_feed_key_is_made_once_and_kept(tmp_path: Path) -> None:
    key = load_feed_key(tmp_path / "data")
    assert key == load_feed_key(tmp_path / "data") and len(key) == 64
    assert (tmp_path / "data" / "calendar-feed.key").stat().st_mode & 0o777 == 0o600
    assert load_feed_key(tmp_path / "data", "x" * 40) == b"x" * 40
    with pytest.raises(ValueError, match="至少需要 32 个字符"):
        load_feed_key(tmp_path, "short")
    with pytest.raises(ValidationError, match="至少需要 32 个字符"):
        Settings(data_dir=tmp_path, feed_key="short")  # refused at start, not on a request


def test_a_tasks_event_is_written_once_for_every_feed_that_carries_it(web: WebWorld) -> None:
    admin, secretary = make_address(web, "admin"), make_address(web, "b1_secretary")
    BODIES.clear()
    EVENTS.clear()
    everything = uids(web, admin)
    assert len(EVENTS) == len(everything)
    theirs = uids(web, secretary)  # a new body, from events already written
    assert theirs < everything and len(EVENTS) == len(everything)
    web.clock[0] += timedelta(days=1)  # states and alarms move with the day
    uids(web, secretary)
    assert len(EVENTS) == len(everything) + len(theirs)
