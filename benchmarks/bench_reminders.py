"""Benchmark: one reminder run's planning and claiming among 1,000,000 tasks, on SQLite and
PostgreSQL, and the same with 100,000 tasks: the cost follows the reminders due, not the tasks.

Synthetic task rows are bulk-inserted directly: ``--due`` unit tasks fall due in 7 days (their
``before_7`` stage is due today, for the unit's secretary and organizer: two reminders each), the
rest lie far from today, in the past (beyond the look-back) or the future (beyond every rule's
``before_days``). Channels are replaced by a local receiver that keeps the messages in memory,
so what is timed is the database work: planning (finding the tasks whose moment has come and
inserting their items) and the sweep (claiming each group with a conditional UPDATE, reading
it, rendering the digest, recording the send). Target: planning + claiming under 5 s.

    python -m benchmarks.bench_reminders [--tasks 1000000 100000] [--due 5000] [--pg URL]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, text, update

from benchmarks.synthetic import Shape, build_college
from obligations.channels import Channel, ChannelKind, DeliveryReceipt, OutgoingMessage
from obligations.db import make_engine, session_factory
from obligations.models import Organization, ReminderItem, Task
from obligations.paths import shipped_dir
from obligations.reminders.claiming import claim_group as _claim_group
from obligations.reminders.config import ReminderConfig
from obligations.reminders.planning import plan_reminders
from obligations.reminders.sweep import Sender, sweep
from obligations.reminders.templates import NotificationRenderer
from obligations.rules.catalog import load_catalog
from obligations.schema import upgrade
from obligations.timeutil import LOCAL_TZ
from obligations.vocabulary import ItemState, OrgKind

TODAY = date(2026, 3, 24)
NOW = datetime(2026, 3, 24, 9, 30, tzinfo=LOCAL_TZ).astimezone(UTC)
STAMP = datetime(2026, 1, 1, tzinfo=UTC)
BATCH = 50_000


class Receiver(Channel):
    """A channel that keeps what it is given (the channel's own cost is not measured)."""

    kind = ChannelKind.EMAIL

    def __init__(self) -> None:
        self.messages: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        self.messages.append(message)
        return DeliveryReceipt(kind=self.kind, parts=1)


def fill(engine: Engine, tasks: int, due: int) -> None:
    upgrade(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        build_college(session, Shape(units=30, branches_per_unit=10))
    with engine.connect() as connection:
        units = list(
            connection.execute(
                select(Organization.id).where(Organization.kind == OrgKind.GENERAL_BRANCH)
            ).scalars()
        )
    rows = (_row(i, units[i % len(units)], i < due) for i in range(tasks))
    with engine.begin() as connection:
        batch: list[dict[str, object]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                connection.execute(insert(Task), batch)
                batch = []
        if batch:
            connection.execute(insert(Task), batch)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()


def _row(i: int, unit_id: int, due_soon: bool) -> dict[str, object]:
    if due_soon:
        due_on = TODAY + timedelta(days=7)
    elif i % 2:
        due_on = date(2000, 1, 1) + timedelta(days=i % 9000)  # long past, beyond the look-back
    else:
        due_on = date(2027, 1, 1) + timedelta(days=i % 3000)  # beyond every rule's before_days
    return {
        "rule_id": "central-group-study",
        "ledger_item": "2.4",
        "unit_id": unit_id,
        "organization_id": unit_id,
        "person_id": None,
        "scope_key": f"o{unit_id}",
        "period_key": f"P{i}",
        "period_start": due_on - timedelta(days=30),
        "period_end": due_on,
        "opens_on": due_on - timedelta(days=30),
        "due_on": due_on,
        "min_count": 1,
        "provisional": False,
        "created_at": STAMP,
        "updated_at": STAMP,
    }


def run(engine: Engine) -> tuple[float, float, float, int, int]:
    catalog = load_catalog([shipped_dir("calendar_rules")])
    config = ReminderConfig.model_validate(
        {
            "channels": {"local": {"kind": "email", "host": "127.0.0.1", "from_address": "a@b.cn"}},
            "defaults": ["local"],
        }
    )
    sessions = session_factory(engine)
    started = time.perf_counter()
    with sessions.begin() as session:
        plan_reminders(session, catalog, NOW, config=config)
    planning = time.perf_counter() - started
    with sessions() as session:
        items = session.scalar(select(func.count()).select_from(ReminderItem)) or 0
    started = time.perf_counter()
    groups = 0
    while _claim_group(sessions, str(uuid.uuid4()), NOW, NOW + timedelta(minutes=10), ["local"]):
        groups += 1
    claiming = time.perf_counter() - started
    with sessions.begin() as session:  # give the claims back, then run a whole sweep
        session.execute(update(ReminderItem).values(state=ItemState.PENDING, claim_token=None))
    receiver = Receiver()
    sender = Sender.create(
        {"local": receiver}, NotificationRenderer.for_data_dir(None), catalog, config
    )
    started = time.perf_counter()
    report = sweep(sessions, sender, NOW, "bench")
    sending = time.perf_counter() - started
    assert report.sent_items == items and len(receiver.messages) == groups
    return planning, claiming, sending, items, len(receiver.messages)


def measure(label: str, make: Callable[[], Engine], tasks: int, due: int) -> None:
    engine = make()
    try:
        started = time.perf_counter()
        fill(engine, tasks, due)
        filled = time.perf_counter() - started
        planning, claiming, sending, items, messages = run(engine)
    finally:
        engine.dispose()
    total = planning + claiming
    print(
        f"{label:10} {tasks:>9,} tasks  {items:>6,} reminders  plan {planning:5.2f} s  "
        f"claim {claiming:5.2f} s  = {total:5.2f} s {'OK' if total < 5 else 'OVER 5 s'}  |  "
        f"whole sweep ({messages} digests rendered, sent, recorded) {sending:5.2f} s  "
        f"(fill {filled:.0f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--due", type=int, default=5_000, help="tasks due (2 reminders each)")
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "OBLIGATIONS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    for tasks in args.tasks:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            measure("sqlite", partial(make_engine, url), tasks, args.due)
        if not args.no_pg:
            with _pg_database(args.pg) as pg_url:
                measure("postgresql", partial(make_engine, pg_url), tasks, args.due)


class _pg_database:
    def __init__(self, admin_url: str) -> None:
        self.admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.name = f"obligations_bench_{uuid.uuid4().hex[:8]}"
        self.url = admin_url.rsplit("/", 1)[0] + f"/{self.name}"

    def __enter__(self) -> str:
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        return self.url

    def __exit__(self, *exc: object) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


if __name__ == "__main__":
    main()
