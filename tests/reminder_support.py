"""Shared pieces of the reminder tests: a counting SMTP inbox, a college of many branches,
and the channels file."""

from __future__ import annotations

import asyncio
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import insert, select
from sqlalchemy.orm import Session as DbSession
from tests.test_channel_email import free_port

from obligations.models import Organization, Person, RoleAssignment, Task
from obligations.rules.planning import scope_key
from obligations.timeutil import LOCAL_TZ
from obligations.vocabulary import OrgKind, Role

# Tuesday 24 March 2026, 09:30 in Shanghai: a working day, inside the sending hours.
NOW = datetime(2026, 3, 24, 9, 30, tzinfo=LOCAL_TZ).astimezone(UTC)
TODAY = date(2026, 3, 24)
TASK_LINK = re.compile(r"/tasks/(\d+)")


@dataclass(frozen=True)
class Received:
    to: tuple[str, ...]
    subject: str
    text: str
    task_ids: tuple[int, ...]


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps every message; ``delay`` slows each one down."""

    delay: float = 0.0
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        content = envelope.content
        assert isinstance(content, bytes)
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        body = parsed.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        ids = tuple(int(m) for m in TASK_LINK.findall(text))
        with self.lock:
            self.messages.append(
                Received(tuple(envelope.rcpt_tos), str(parsed["Subject"]), text, ids)
            )
        return "250 OK"

    def deliveries(self) -> Counter[tuple[str, int]]:
        """How many times each (recipient address, task) arrived."""
        with self.lock:
            return Counter((to, task) for m in self.messages for to in m.to for task in m.task_ids)

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


@contextmanager
def inbox_server(inbox: Inbox) -> Iterator[int]:
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def channels_file(
    data_dir: Path, smtp_port: int, *, admins: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "dashboard_url": "http://dangjian.example.edu.cn",
        "channels": {
            "mail": {
                "kind": "email",
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "none",
                "from_address": "dangjian@example.edu.cn",
                "from_name": "党建工作任务系统",
                "timeout": 10,
            }
        },
        "defaults": ["mail"],
        "admins": {"emails": admins or ["zzb@example.edu.cn"], "channels": ["mail"]},
        **extra,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "channels.yaml").write_text(
        yaml.safe_dump(config, allow_unicode=True), encoding="utf-8"
    )
    return config


def many_branches(
    session: DbSession,
    *,
    units: int,
    branches: int,
    tasks_per_branch: int,
    due_on: date = TODAY + timedelta(days=7),
) -> int:
    """Units of branches, each branch with a secretary who has an email address and
    ``tasks_per_branch`` open tasks due on ``due_on``; returns the number of tasks."""
    stamps = {"created_at": NOW, "updated_at": NOW}
    college = Organization(code="C", name="学校党委", kind=OrgKind.COLLEGE, **stamps)
    session.add(college)
    session.flush()
    session.execute(
        insert(Organization),
        [
            {
                "code": f"U{u:02d}",
                "name": f"第{u}党总支",
                "kind": OrgKind.GENERAL_BRANCH,
                "parent_id": college.id,
                **stamps,
            }
            for u in range(units)
        ],
    )
    unit_ids = dict(
        session.execute(
            select(Organization.code, Organization.id).where(Organization.parent_id == college.id)
        ).all()
    )
    session.execute(
        insert(Organization),
        [
            {
                "code": f"{code}-B{b:02d}",
                "name": f"{code}第{b}党支部",
                "kind": OrgKind.BRANCH,
                "parent_id": unit_id,
                **stamps,
            }
            for code, unit_id in unit_ids.items()
            for b in range(branches)
        ],
    )
    branch_rows = session.execute(
        select(Organization.id, Organization.code, Organization.parent_id).where(
            Organization.kind == OrgKind.BRANCH
        )
    ).all()
    session.execute(
        insert(Person),
        [
            {
                "code": f"S-{code}",
                "name": f"书记{code}",
                "email": f"s-{code.lower()}@example.edu.cn",
                **stamps,
            }
            for _, code, _ in branch_rows
        ],
    )
    people = dict(session.execute(select(Person.code, Person.id)).all())
    session.execute(
        insert(RoleAssignment),
        [
            {
                "person_id": people[f"S-{code}"],
                "organization_id": org_id,
                "role": Role.SECRETARY,
                "start_on": date(2025, 1, 1),
            }
            for org_id, code, _ in branch_rows
        ],
    )
    rows = [
        {
            "rule_id": "branch-committee-meeting",
            "ledger_item": "4.3",
            "unit_id": unit_id,
            "organization_id": org_id,
            "person_id": None,
            "scope_key": scope_key(org_id, None),
            "period_key": f"T{k:03d}",
            "period_start": TODAY - timedelta(days=30),
            "period_end": due_on,
            "opens_on": TODAY - timedelta(days=30),
            "due_on": due_on,
            "min_count": 1,
            "provisional": False,
            **stamps,
        }
        for org_id, _, unit_id in branch_rows
        for k in range(tasks_per_branch)
    ]
    session.execute(insert(Task), rows)
    return len(rows)
