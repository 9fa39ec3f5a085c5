"""No internal code reaches a page: each role crawls every page linked from its home page on
the demo college with its recorded year and reads only the text a person sees."""

from __future__ import annotations

import enum
import re
import warnings
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
import pytest
from sqlalchemy import select
from starlette.exceptions import StarletteDeprecationWarning
from tests.demo_support import DEMO_NOW
from tests.web_support import FAST_HASHER

import obligations.vocabulary as vocabulary
from obligations.accounts import users as accounts
from obligations.channels.base import ChannelKind, ContactKind
from obligations.db import make_engine, session_factory
from obligations.models import EvidenceRecord, Task
from obligations.reminders.stages import StageKind
from obligations.rules.schema import ItemKind, PeriodKind, Scope, WorkdayPolicy
from obligations.settings import Settings
from obligations.tasks.status import TaskStatus
from obligations.tasks.urgency import Urgency
from obligations.vocabulary import ReviewState
from obligations.web import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

MAX_PAGES = 150  # per role; the crawl stops there
PER_SHAPE = 3  # pages of one shape visited, so every kind of page is reached within MAX_PAGES
ROLES = ("admin", "u01", "u01-b01")  # the demo's administrator, unit manager, branch secretary
SKIPPED_SUFFIXES = (".docx", ".pdf", ".xlsx", ".zip", ".ics", ".csv", ".json", ".png", ".jpg")
SKIPPED_PREFIXES = ("/static", "/api", "/logout")

# Enum values that are also ordinary file types or names a page may show are left out.
_ENUMS: tuple[type[enum.Enum], ...] = (
    vocabulary.OrgKind,
    vocabulary.Role,
    vocabulary.UserRole,
    vocabulary.EvidenceKind,
    vocabulary.ReviewState,
    vocabulary.ItemState,
    vocabulary.AttemptResult,
    vocabulary.TallyOutcome,
    Scope,
    PeriodKind,
    WorkdayPolicy,
    ItemKind,
    TaskStatus,
    Urgency,
    StageKind,
    ChannelKind,
    ContactKind,
)
ALLOWED_WORDS = {"admin", "email"}  # the demo administrator's user name; an address kind in forms
CODES = sorted(
    {str(m.value) for e in _ENUMS for m in e if isinstance(m.value, str)} - ALLOWED_WORDS
    | {"admins"},
    key=len,
    reverse=True,
)
WORD = r"(?<![A-Za-z0-9_.\-/@]){}(?![A-Za-z0-9_\-/@]|\.[A-Za-z])"
PATTERNS = {
    "英文代码": re.compile("|".join(WORD.format(re.escape(c)) for c in CODES)),
    "提醒阶段代码": re.compile(
        WORD.format(r"(?:before|after|overdue|overdue_repeat|escalate)_\w+")
    ),
    "异常名": re.compile(r"\b\w*(?:Error|Exception)\b"),
    "审计实体": re.compile(
        r"(?<![A-Za-z_])(?:evidence|tasks?|ledger_note|ledger_figure|user|person)(?:\s+\d+|$|\s)"
    ),
    "任务编号": re.compile(r"任务\s*\d{2,}(?![\d\-/:年月日项个])"),
    "人员编号": re.compile(r"\bperson:\d+"),
    "网页账户前缀": re.compile(r"(?<![A-Za-z])web:\S+"),
    # 2026-09, 2026-Q4, 2026-H2, 2026-2027, 2026-2027-1; not a date such as 2026-09-30
    "周期代码": re.compile(
        r"(?<![\d\-/.])20\d\d-(?:20\d\d(?:-[12])?|Q[1-4]|H[12]|\d{2})(?![\d\-/:.])"
    ),
}


@pytest.fixture(scope="module")
def app_on_demo(demo_with_history: tuple[Path, list[str]]) -> Iterator[TestClient]:
    data, _ = demo_with_history
    settings = Settings(data_dir=data)
    engine = make_engine(settings.effective_database_url)
    app = create_app(settings, clock=lambda: DEMO_NOW, engine=engine)
    with TestClient(app, follow_redirects=False) as client:
        yield client
    engine.dispose()


def signed_in(app_client: TestClient, data: Path, username: str) -> TestClient:
    engine = make_engine(Settings(data_dir=data).effective_database_url)
    with session_factory(engine).begin() as db:
        token, _ = accounts.start_session(db, accounts.get_user(db, username), now=DEMO_NOW)
    engine.dispose()
    client = TestClient(app_client.app, follow_redirects=True)
    client.cookies.set("obl_session", token)
    return client


def unusual_tasks(data: Path) -> tuple[str, ...]:
    """The pages of the demo's waived task and of the task whose record was returned (visited
    besides the crawl's few pages of each kind; a role that may not see one gets a 404)."""
    engine = make_engine(Settings(data_dir=data).effective_database_url)
    with session_factory(engine)() as db:
        waived = db.scalars(select(Task.id).where(Task.waived_at.is_not(None))).all()
        returned = db.scalars(
            select(EvidenceRecord.task_id).where(
                EvidenceRecord.review_state == ReviewState.REJECTED
            )
        ).all()
    engine.dispose()
    return tuple(f"/tasks/{task_id}" for task_id in [*waived, *returned])


def visible_text(html: str) -> str:
    """The text a person sees: no scripts, styles, templates or hidden elements, no attributes."""
    root = lxml.html.fromstring(html)
    for element in root.xpath("//script|//style|//template|//*[@hidden]|//head"):
        element.drop_tree()
    return " ".join(" ".join(piece.split()) for piece in root.itertext() if piece.strip())


def links(html: str, base: str) -> list[str]:
    root = lxml.html.fromstring(html)
    found = []
    for href in root.xpath("//a/@href"):
        target = urldefrag(urljoin(base, href)).url
        parts = urlsplit(target)
        if parts.netloc not in ("", "testserver") or parts.scheme not in ("", "http"):
            continue
        path = parts.path
        if (
            path.endswith(SKIPPED_SUFFIXES)
            or path.startswith(SKIPPED_PREFIXES)
            or "/files/" in path
        ):
            continue
        found.append(path + (f"?{parts.query}" if parts.query else ""))
    return found


def shape(path: str) -> str:
    """A page's kind: its path with numbers made alike, and the names its query sets."""
    parts = urlsplit(path)
    keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


def crawl(client: TestClient, also: tuple[str, ...] = ()) -> dict[str, str]:
    """Pages reachable by links from the home page (and from ``also``), at most PER_SHAPE of
    each kind and MAX_PAGES in all: path -> visible text."""
    seen: dict[str, str] = {}
    shapes: dict[str, int] = {}
    queue = deque(["/", *also])
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen or (shapes.get(shape(path), 0) >= PER_SHAPE and path not in also):
            continue
        shapes[shape(path)] = shapes.get(shape(path), 0) + 1
        response = client.get(path)
        if "text/html" not in response.headers.get("content-type", ""):
            seen[path] = ""
            continue
        seen[path] = visible_text(response.text)
        queue.extend(p for p in links(response.text, str(response.url)) if p not in seen)
    return seen


def codes_in(text: str) -> list[str]:
    """Each code found, named by its kind; overlapping matches count once (the longest)."""
    found = sorted(
        ((m.start(), -len(m.group(0)), name, m.group(0)))
        for name, pattern in PATTERNS.items()
        for m in pattern.finditer(text)
    )
    codes, end = [], -1
    for start, length, name, code in found:
        if start >= end:
            codes.append(f"{name}：{code}")
            end = start - length
    return codes


def test_the_patterns_catch_codes_and_pass_what_people_read() -> None:
    caught = (
        "scope branch, half_year, before_1, escalate_college, admins, ConnectError,"
        " evidence 3, 任务 2935, person:4, web:u01, 周期 2026-09 2026-Q4 2026-H2 2026-2027-1"
    )
    assert len(codes_in(caught)) == 14
    fine = (
        "U01 机电工程学院党总支 2026-10-30 2026-09-30 10:00 会议记录.docx 签到表.png"
        " 管理员 admin 已逾期 共 18 项"
    )
    assert codes_in(fine) == []


@pytest.mark.parametrize("username", ROLES)
def test_no_page_a_role_can_reach_shows_an_internal_code(
    app_on_demo: TestClient,
    demo_with_history: tuple[Path, list[str]],
    username: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    client = signed_in(app_on_demo, demo_with_history[0], username)
    pages = crawl(client, also=unusual_tasks(demo_with_history[0]))
    assert len(pages) > 5, pages.keys()
    found = {path: codes for path, text in pages.items() if (codes := codes_in(text))}
    assert found == {}
