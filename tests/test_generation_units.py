"""Generation by (rule, unit): a change in one unit re-plans that unit only; chunks of units are
committed one by one, so an interrupted run is finished by the next; bulk inserts keep the
tallies exact."""

from __future__ import annotations

import gc
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from tests import factories
from tests.factories import NOW
from tests.helpers import shipped_catalog
from tests.test_task_tally import assert_consistent, recount, tally

import obligations.tasks.generation as generation
from obligations.db import session_factory
from obligations.models import GenerationStamp, Organization, Task
from obligations.models.tasks import TaskItemTally, TaskTally
from obligations.tasks import bulk
from obligations.tasks.bulk import bulk_insert
from obligations.tasks.generation import generate_tasks
from obligations.tasks.reconcile import Scope
from obligations.vocabulary import OrgKind

THROUGH = date(2026, 12, 31)
LATER = NOW + timedelta(days=1)
TRIGGER_COUNT = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'task'"


def three_units(session: Session) -> dict[str, int]:
    """The small college and a third unit (a general branch with two branches of its own)."""
    orgs = factories.small_college(session)
    third = factories.org(
        session,
        "U03",
        OrgKind.GENERAL_BRANCH,
        orgs["college"],
        term_start=date(2024, 3, 1),
        term_years=5,
    )
    b1 = factories.org(session, "U03-B01", OrgKind.BRANCH, third)
    factories.org(session, "U03-B02", OrgKind.BRANCH, third)
    return {**{k: o.id for k, o in orgs.items()}, "U03": third.id, "U03-B01": b1.id}


def live_tasks_by_pair(session: Session) -> Counter[tuple[str, int]]:
    rows = session.execute(
        select(Task.rule_id, Task.unit_id, func.count())
        .where(Task.retired_at.is_(None))
        .group_by(Task.rule_id, Task.unit_id)
    )
    return Counter({(rule_id, unit_id): n for rule_id, unit_id, n in rows})


def stamped(session: Session) -> dict[tuple[str, int], int]:
    rows = session.execute(
        select(GenerationStamp.rule_id, GenerationStamp.unit_id, GenerationStamp.planned)
    )
    return {(rule_id, unit_id): planned for rule_id, unit_id, planned in rows}


def test_a_branch_added_to_one_unit_re_plans_that_unit_only(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        ids = three_units(session)
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        before = session.scalar(select(func.count()).select_from(Task))
        elsewhere = session.scalar(
            select(func.count()).select_from(Task).where(Task.unit_id != ids["U01"])
        )
    with sessions.begin() as session:
        unit = session.get(Organization, ids["U01"])
        factories.org(session, "U01-B03", OrgKind.BRANCH, unit)
        report = generate_tasks(session, shipped_catalog(), through=THROUGH, now=LATER)
        restamped = session.execute(
            select(GenerationStamp.unit_id).where(GenerationStamp.generated_at == LATER)
        ).scalars()
        touched = session.execute(
            select(Task.unit_id).where(Task.updated_at == LATER).distinct()
        ).scalars()
        created = session.scalar(select(func.count()).select_from(Task)) - (before or 0)
        assert set(restamped) == {ids["U01"]}
        assert set(touched) == {ids["U01"]}
        assert report.created == created > 0
        assert report.updated == report.retired == 0
        # Every task of the other units was counted from its stamp, not re-planned.
        assert report.unchanged >= (elsewhere or 0)


@pytest.mark.parametrize("by_unit", [True, False], ids=["looked up by unit", "by rule"])
@pytest.mark.parametrize("direction", ["to a later unit", "to an earlier unit"])
def test_a_branch_moved_to_another_unit_takes_its_tasks_along(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, direction: str, by_unit: bool
) -> None:
    def scope(**fields: Any) -> Scope:  # stored tasks found either way, the same ones
        return Scope(**{**fields, "by_unit": by_unit})

    monkeypatch.setattr(generation, "Scope", scope)
    with sessions.begin() as session:
        ids = three_units(session)
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        branch, new_unit = (
            (ids["B2"], ids["U03"])
            if direction == "to a later unit"
            else (ids["U03-B01"], ids["U01"])
        )
        owned = set(session.scalars(select(Task.id).where(Task.organization_id == branch)))
    with sessions.begin() as session:
        session.execute(
            update(Organization).where(Organization.id == branch).values(parent_id=new_unit)
        )
        # One unit per chunk: the old and the new unit are reconciled in different chunks.
        report = generate_tasks(
            session, shipped_catalog(), through=THROUGH, now=LATER, chunk_tasks=1
        )
        moved = session.execute(
            select(Task.id, Task.unit_id, Task.retired_at).where(Task.organization_id == branch)
        ).all()
        assert {task_id for task_id, _, _ in moved} == owned
        assert {(unit_id, retired) for _, unit_id, retired in moved} == {(new_unit, None)}
        assert report.retired == report.restored == 0
        assert report.updated == len(owned)
        again = generate_tasks(session, shipped_catalog(), through=THROUGH, now=LATER, full=True)
        assert not again.changed


def test_the_garbage_collector_runs_again_after_a_generation_even_a_failed_one(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*_: object, **__: object) -> None:
        assert not gc.isenabled()  # paused while the chunk is written
        raise RuntimeError("refused")

    with sessions.begin() as session:
        three_units(session)
        monkeypatch.setattr(generation, "reconcile", refused)
        with pytest.raises(RuntimeError):
            generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        assert gc.isenabled()
        gc.disable()  # and a caller's own pause stays
        try:
            with pytest.raises(RuntimeError):
                generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW, full=True)
            assert not gc.isenabled()
        finally:
            gc.enable()


def test_an_interrupted_generation_stamps_only_what_it_committed_and_a_rerun_finishes_it(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    with sessions.begin() as session:
        three_units(session)
    calls = {"n": 0}
    real = generation.reconcile

    def crashing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the process died here")
        return real(*args, **kwargs)

    monkeypatch.setattr(generation, "reconcile", crashing)
    with sessions() as session, pytest.raises(RuntimeError):
        generate_tasks(
            session, shipped_catalog(), through=THROUGH, now=NOW, commit_chunks=True, chunk_tasks=1
        )
    monkeypatch.setattr(generation, "reconcile", real)
    with sessions() as session:
        stamps = stamped(session)
        # The first unit's chunk was committed, stamps and tasks together; nothing after it.
        assert {unit_id for _, unit_id in stamps} == {u for _, u in live_tasks_by_pair(session)}
        assert len({unit_id for _, unit_id in stamps}) == 1
        assert live_tasks_by_pair(session) == +Counter(stamps)
        done_before = sum(stamps.values())
        rerun = generate_tasks(
            session, shipped_catalog(), through=THROUGH, now=LATER, commit_chunks=True
        )
    with sessions() as session:
        total = session.scalar(select(func.count()).select_from(Task))
        assert rerun.created == (total or 0) - done_before > 0
        assert rerun.unchanged == done_before
        assert live_tasks_by_pair(session) == +Counter(stamped(session))
        assert_consistent(session)
        for full in (False, True):
            again = generate_tasks(
                session, shipped_catalog(), through=THROUGH, now=LATER, full=full
            )
            assert not again.changed


@pytest.mark.parametrize("few_rows", [0, 100_000], ids=["bulk path", "row trigger path"])
def test_the_tallies_are_a_recount_of_the_tasks_after_bulk_generations(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, few_rows: int
) -> None:
    monkeypatch.setattr(bulk, "FEW_ROWS", few_rows)  # SQLite inserts this many with the trigger
    with sessions.begin() as session:
        three_units(session)
        generate_tasks(session, shipped_catalog(), through=date(2026, 6, 30), now=NOW)
        assert_consistent(session)
        # Inserted after existing rows (the recount starts above the largest id), in chunks.
        generate_tasks(
            session, shipped_catalog(), through=date(2027, 6, 30), now=LATER, chunk_tasks=50
        )
        assert_consistent(session)
        if session.get_bind().dialect.name == "sqlite":  # dropped for the insert, back after
            assert session.scalar(text(TRIGGER_COUNT)) == 3


def test_a_refused_bulk_insert_leaves_no_row_and_the_tallies_still_follow_inserts(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "FEW_ROWS", 0)
    with sessions.begin() as session:
        three_units(session)
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
        existing = session.execute(select(Task).limit(1)).scalar_one()
        row = {c.name: getattr(existing, c.key) for c in Task.__table__.columns if c.name != "id"}
        fresh = {**row, "scope_key": "o999", "period_key": "fresh"}
        before = session.scalar(select(func.count()).select_from(Task))
        with pytest.raises(IntegrityError), session.begin_nested():
            bulk_insert(session, [fresh, row])  # the second repeats a natural key
        assert session.scalar(select(func.count()).select_from(Task)) == before
        if session.get_bind().dialect.name == "sqlite":
            assert session.scalar(text(TRIGGER_COUNT)) == 3
        session.add(Task(**{**fresh, "period_key": "single"}))
        assert_consistent(session)


def test_on_sqlite_the_rows_a_refused_bulk_insert_left_are_tallied_and_the_trigger_is_back(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a savepoint of the caller's, SQLite keeps the rows inserted before the refused
    one: they are counted, so the tallies hold even if the caller goes on and commits."""
    monkeypatch.setattr(bulk, "FEW_ROWS", 0)
    sessions = session_factory(sqlite_engine)
    with sessions.begin() as session:
        three_units(session)
        generate_tasks(session, shipped_catalog(), through=THROUGH, now=NOW)
    with sessions() as session:
        existing = session.execute(select(Task).limit(1)).scalar_one()
        row = {c.name: getattr(existing, c.key) for c in Task.__table__.columns if c.name != "id"}
        before = session.scalar(select(func.count()).select_from(Task)) or 0
        fresh = [{**row, "scope_key": f"o99{i}", "period_key": "fresh"} for i in range(3)]
        with pytest.raises(IntegrityError):
            bulk_insert(session, [*fresh, row, {**row, "period_key": "after"}])
        session.commit()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Task)) == before + 3
        assert session.scalar(text(TRIGGER_COUNT)) == 3
        assert_consistent(session)


@pytest.mark.parametrize("few_rows", [0, 100_000], ids=["bulk path", "row trigger path"])
def test_bulk_inserted_tasks_in_every_settled_state_are_tallied_as_the_trigger_tallies_them(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, few_rows: int
) -> None:
    monkeypatch.setattr(bulk, "FEW_ROWS", few_rows)
    due = date(2026, 10, 30)  # nominally the 31st, a Saturday
    states: list[dict[str, Any]] = [
        {},  # open
        {"done_on": due},  # done
        {"done_on": date(2026, 10, 31)},  # done by the nominal date: done
        {"done_on": date(2026, 10, 31), "nominal_due_on": None},  # not known: done late
        {"done_on": date(2026, 11, 2)},  # done late
        {"retired_at": NOW},
        {"waived_at": NOW},
        {"retired_at": NOW, "done_on": due},  # done stays done
    ]
    with sessions.begin() as session:
        ids = three_units(session)
        rows = [
            {
                "rule_id": "r",
                "ledger_item": f"1.{i % 3}",
                "unit_id": ids["U01"],
                "organization_id": ids["U01"],
                "person_id": None,
                "scope_key": f"o{i}",
                "period_key": "2026-10",
                "period_start": date(2026, 10, 1),
                "period_end": date(2026, 10, 31),
                "opens_on": date(2026, 10, 1),
                "due_on": due,
                "nominal_due_on": date(2026, 10, 31),
                "min_count": 1,
                "provisional": False,
                "retired_at": None,
                "waived_at": None,
                "done_on": None,
                "created_at": NOW,
                "updated_at": NOW,
                **states[i % len(states)],
            }
            for i in range(3 * len(states))
        ]
        bulk_insert(session, rows)
        tasks = list(session.scalars(select(Task)))
        assert tally(session, TaskTally) == recount(tasks, item=False)
        assert tally(session, TaskItemTally) == recount(tasks, item=True)
        outcomes = {outcome for *_, outcome in tally(session, TaskTally)}
        assert outcomes == {"open", "done", "done_late", "retired", "waived"}


DRAWN_ROWS = st.lists(
    st.tuples(
        st.integers(0, 40),  # due date, days after 1 October
        st.one_of(st.none(), st.integers(-3, 3)),  # nominal due date from the due date
        st.one_of(st.none(), st.integers(-5, 5)),  # done, days from the due date
        st.booleans(),  # waived
        st.booleans(),  # retired
    ),
    min_size=2,
    max_size=12,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=DRAWN_ROWS)
def test_the_bulk_path_tallies_any_task_as_the_triggers_do(
    sessions: sessionmaker[Session], drawn: list[tuple[int, int | None, int | None, bool, bool]]
) -> None:
    first = date(2026, 10, 1)
    with pytest.MonkeyPatch.context() as patch, sessions() as session:  # never committed
        patch.setattr(bulk, "FEW_ROWS", 0)
        unit = factories.org(session, "U01", OrgKind.GENERAL_BRANCH)
        rows = []
        for i, (due_in, moved, done_in, waived, retired) in enumerate(drawn):
            due = first + timedelta(days=due_in)
            rows.append(
                {
                    "rule_id": "r",
                    "ledger_item": f"1.{i % 2}",
                    "unit_id": unit.id,
                    "organization_id": unit.id,
                    "scope_key": f"o{i}",
                    "period_key": "p",
                    "period_start": first,
                    "period_end": due,
                    "opens_on": first + timedelta(days=due_in // 2),
                    "due_on": due,
                    "nominal_due_on": None if moved is None else due + timedelta(days=moved),
                    "min_count": 1,
                    "provisional": False,
                    "done_on": None if done_in is None else due + timedelta(days=done_in),
                    "waived_at": NOW if waived else None,
                    "retired_at": NOW if retired else None,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        bulk_insert(session, rows)
        tasks = list(session.scalars(select(Task)))
        assert tally(session, TaskTally) == recount(tasks, item=False)
        assert tally(session, TaskItemTally) == recount(tasks, item=True)
