"""Several sender processes at once, and one killed mid-sweep: each reminder arrives once.

Real parts only: the ``obligations remind`` command in separate processes, the database the
test runs on (SQLite, then PostgreSQL) and an SMTP server (aiosmtpd) on loopback that counts
what arrives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.helpers import shipped_catalog
from tests.reminder_support import NOW, Inbox, channels_file, inbox_server, many_branches

from obligations.models import DeliveryAttempt, ReminderItem
from obligations.reminders.config import load_reminder_config
from obligations.reminders.planning import plan_reminders
from obligations.vocabulary import AttemptResult, ItemState

UNITS, BRANCHES, TASKS = 10, 10, 20  # 100 secretaries x 20 tasks = 2,000 reminders
REMINDERS = UNITS * BRANCHES * TASKS
LOCAL_NOW = NOW.astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")


def planned(sessions: sessionmaker[Session], data_dir: Path) -> None:
    with sessions.begin() as session:
        many_branches(session, units=UNITS, branches=BRANCHES, tasks_per_branch=TASKS)
    config = load_reminder_config(data_dir)
    with sessions.begin() as session:
        report = plan_reminders(session, shipped_catalog(), NOW, config=config)
    assert report.items == REMINDERS


def remind(data_dir: Path, database_url: str, now: str = LOCAL_NOW) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OBLIGATIONS_DATABASE_URL": database_url}
    code = "from obligations.cli.main import main; main()"
    command = [sys.executable, "-c", code, "--data-dir", str(data_dir), "remind", "--now", now]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finished(process: subprocess.Popen[bytes]) -> str:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err.decode()
    return out.decode()


def item_states(sessions: sessionmaker[Session]) -> Counter[ItemState]:
    with sessions() as session:
        rows = session.execute(
            select(ReminderItem.state, func.count()).group_by(ReminderItem.state)
        ).all()
    return Counter({state: count for state, count in rows})


def test_two_worker_processes_deliver_every_reminder_exactly_once(
    tmp_path: Path, database_url: str, committed_sessions: sessionmaker[Session]
) -> None:
    inbox = Inbox(delay=0.01)
    with inbox_server(inbox) as port:
        channels_file(tmp_path, port)
        planned(committed_sessions, tmp_path)
        workers = [remind(tmp_path, database_url), remind(tmp_path, database_url)]
        for worker in workers:
            finished(worker)
    deliveries = inbox.deliveries()
    assert len(deliveries) == REMINDERS
    assert set(deliveries.values()) == {1}
    assert inbox.count() == UNITS * BRANCHES  # one digest per secretary
    assert item_states(committed_sessions) == {ItemState.SENT: REMINDERS}
    with committed_sessions() as session:
        attempts = session.scalar(select(func.count()).select_from(DeliveryAttempt))
        results = set(session.scalars(select(DeliveryAttempt.result)))
    # The guarantee is none lost and none repeated, whichever process sent what: on two shared
    # cores one process may well claim every recipient before the other has started.
    assert attempts == UNITS * BRANCHES and results == {AttemptResult.SENT}


def test_a_worker_killed_mid_sweep_loses_nothing_once_another_takes_over(
    tmp_path: Path, database_url: str, committed_sessions: sessionmaker[Session]
) -> None:
    inbox = Inbox(delay=0.02)
    with inbox_server(inbox) as port:
        channels_file(tmp_path, port)
        planned(committed_sessions, tmp_path)
        victim = remind(tmp_path, database_url)
        deadline = time.monotonic() + 120
        while inbox.count() < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(victim.pid, signal.SIGKILL)
        victim.communicate()
        assert victim.returncode == -signal.SIGKILL
        killed_at = inbox.count()
        assert 20 <= killed_at < UNITS * BRANCHES, "the kill should land mid-sweep"
        # A lease outlives the dead sender; the next run comes after it has expired.
        later = (NOW + timedelta(minutes=11)).astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
        finished(remind(tmp_path, database_url, later))
    deliveries = inbox.deliveries()
    assert len(deliveries) == REMINDERS  # nothing lost
    repeated = [key for key, count in deliveries.items() if count > 1]
    # At most the one message that was in flight when the process died is repeated.
    assert len({to for to, _ in repeated}) <= 1
    assert all(count <= 2 for count in deliveries.values())
    assert item_states(committed_sessions) == {ItemState.SENT: REMINDERS}
    with committed_sessions() as session:
        unknown = session.scalar(
            select(func.count())
            .select_from(DeliveryAttempt)
            .where(DeliveryAttempt.result == AttemptResult.SENDING)
        )
    assert unknown is not None and unknown <= 1
