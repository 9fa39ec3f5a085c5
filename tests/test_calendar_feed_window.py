"""The calendar feed's window of due dates and its cut: the tasks due nearest today, from 90
days back to a year ahead, read on the due date indexes (issue 15)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import true
from sqlalchemy.orm import Session, sessionmaker
from tests import factories
from tests.helpers import shipped_catalog

from obligations.accounts.access import task_clause
from obligations.accounts.users import get_user, principal_of
from obligations.models import EvidenceRecord, Task
from obligations.orgdata.setup import load_demo
from obligations.tasks.feed_window import (
    AHEAD_DAYS,
    FEED_EVENTS,
    PAST_DAYS,
    feed_rows,
    feed_tasks,
    feed_window,
    last_change,
    pick_feed,
)
from obligations.tasks.generation import generate_tasks
from obligations.tasks.listing import TaskFilter, TaskView, list_tasks
from obligations.vocabulary import EvidenceKind, ReviewState

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def _college(session: Session) -> None:
    factories.small_college(session)
    generate_tasks(session, shipped_catalog(), through=date(2028, 3, 31), now=NOW)


def _everything(session: Session, window: tuple[date, date]) -> list[TaskView]:
    where = TaskFilter(due_within=window)
    return list_tasks(session, where, today=TODAY, due_soon_days=7)


def test_the_feed_carries_every_task_of_its_window_and_none_outside(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        _college(session)
        first, last = feed_window(TODAY)
        assert (first, last) == (TODAY - timedelta(days=90), TODAY + timedelta(days=365))
        rows = feed_tasks(session, true(), today=TODAY, due_soon_days=7, limit=100_000)
        assert {r.id for r in rows} == {r.id for r in _everything(session, (first, last))}
        assert min(r.due_on for r in rows) >= first and max(r.due_on for r in rows) <= last
        # There are tasks on both sides of the window, left out.
        assert _everything(session, (date(2000, 1, 1), first - timedelta(days=1)))
        assert _everything(session, (last + timedelta(days=1), date(2100, 1, 1)))
        assert [r.due_on for r in rows] == sorted(r.due_on for r in rows)
        assert (PAST_DAYS, AHEAD_DAYS) == (90, 365)


def test_a_cut_feed_keeps_the_tasks_due_nearest_today_not_the_oldest(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        _college(session)
        every = _everything(session, feed_window(TODAY))
        rows = feed_tasks(session, true(), today=TODAY, due_soon_days=7, limit=40)
        assert len(rows) == 40 < len(every)
        furthest = max(abs((r.due_on - TODAY).days) for r in rows)
        left_out = [r for r in every if r.id not in {row.id for row in rows}]
        assert all(abs((r.due_on - TODAY).days) >= furthest for r in left_out)
        # Both sides of today are kept, and the window's oldest tasks are not.
        assert min(r.due_on for r in rows) < TODAY <= max(r.due_on for r in rows)
        assert min(r.due_on for r in every) < min(r.due_on for r in rows)


def test_the_last_change_follows_new_evidence_of_a_carried_task(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        _college(session)
        rows = feed_tasks(session, true(), today=TODAY, due_soon_days=7, limit=5)
        before = last_change(session, [r.id for r in rows])
        assert before == NOW and last_change(session, []) is None
        later = NOW + timedelta(hours=5)
        task = session.get(Task, rows[0].id)
        assert task is not None
        session.add(
            EvidenceRecord(
                task_id=task.id,
                unit_id=task.unit_id,
                ledger_item=task.ledger_item,
                year=task.due_on.year,
                title="会议记录",
                held_on=task.due_on,
                kind=EvidenceKind.MINUTES,
                recorded_by="test",
                recorded_at=later,
                review_state=ReviewState.PENDING,
            )
        )
        session.flush()
        assert last_change(session, [r.id for r in rows]) == later


def test_the_demo_administrator_gets_the_300_tasks_due_nearest_today_from_september_on(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        load_demo(session, shipped_catalog(), through=TODAY + timedelta(days=90), now=NOW)
        admin = principal_of(session, get_user(session, "admin"))
        every = _everything(session, feed_window(TODAY))
        # The demo fact of issue 15: well over a thousand tasks fall due from 2026-09-01 on.
        assert len([r for r in every if r.due_on >= date(2026, 9, 1)]) > 1_000
        pick = pick_feed(session, [task_clause(admin)], today=TODAY, due_soon_days=7)
        rows = feed_rows(session, pick, today=TODAY, due_soon_days=7)
    assert len(rows) == FEED_EVENTS == 300
    assert [r.id for r in rows] == pick.ids
    furthest = max(abs((r.due_on - TODAY).days) for r in rows)
    chosen = {r.id for r in rows}
    assert all(abs((r.due_on - TODAY).days) >= furthest for r in every if r.id not in chosen)
    assert len({r.unit for r in rows}) > 1
