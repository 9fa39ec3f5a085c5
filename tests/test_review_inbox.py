"""The review inbox's service: who sees which waiting records, in what order, and what takes a
record out of it (on SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker
from tests import factories
from tests.evidence_support import add_standing, add_to_task
from tests.helpers import shipped_catalog
from tests.storage_samples import PDF

from obligations.accounts.access import Forbidden, Principal, operator
from obligations.errors import InvalidRequest, NotFound
from obligations.evidence import records as evidence
from obligations.evidence import review_inbox
from obligations.evidence.intake import Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy, StandingTarget
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.models import AuditEntry, EvidenceRecord, Task
from obligations.tasks.generation import generate_tasks
from obligations.vocabulary import ReviewState, UserRole

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
POLICY = EvidencePolicy(limits=UploadLimits(max_bytes=10_000))


def principal(role: UserRole, unit: int | None = None, branch: int | None = None) -> Principal:
    return Principal(
        user_id=1, username=f"{role.value}-{unit}", display_name="某人", role=role,
        unit_id=unit, branch_id=branch, person_id=None,
    )  # fmt: skip


@pytest.fixture
def world(sessions: sessionmaker[Session], tmp_path: Path) -> dict[str, int]:
    """U01's central-group study of October and November, a branch meeting of U01-B01, a
    standing record of U01, and U02's study of November: each with a pending record, recorded
    an hour apart (U02's first)."""
    store = LocalBlobStore(tmp_path / "evidence")
    with sessions.begin() as db:
        orgs = factories.small_college(db)
        generate_tasks(db, shipped_catalog(), through=date(2026, 12, 31), now=NOW)

        def task(org: str, rule: str | None, period: str) -> Task:
            query = select(Task).where(
                Task.organization_id == orgs[org].id, Task.period_key == period
            )
            if rule:
                query = query.where(Task.rule_id == rule)
            found = db.scalars(query.where(Task.person_id.is_(None)).order_by(Task.id)).first()
            assert found is not None
            return found

        ids = {code: org.id for code, org in orgs.items()}
        tasks = [
            ("u02_nov", task("U02", None, "2026-11")),
            ("u01_oct", task("U01", "central-group-study", "2026-10")),
            ("b1_nov", task("B1", None, "2026-11")),
            ("u01_nov", task("U01", "central-group-study", "2026-11")),
        ]
        for hour, (name, t) in enumerate(tasks):
            data = EvidenceInput(title=f"记录 {name}", held_on=t.period_start, participants=9)
            uploads = [Upload("会议记录.pdf", io.BytesIO(PDF))]
            record = add_to_task(
                db, store, POLICY, task_id=t.id, data=data, uploads=uploads,
                actor="张书记", now=NOW + timedelta(hours=hour),
            )  # fmt: skip
            ids[name] = record.id
            ids[f"task_{name}"] = t.id
        standing = add_standing(
            db, store, POLICY, shipped_catalog(), target=StandingTarget("U01", "6.2", 2026),
            data=EvidenceInput(title="制度汇编", held_on=date(2026, 3, 1)), actor="张书记",
            now=NOW + timedelta(hours=5),
        )  # fmt: skip
        ids["standing"] = standing.id
        return ids


def titles(db: Session, who: Principal, **options: object) -> list[str]:
    page = review_inbox.inbox_page(db, shipped_catalog(), who, **options)  # type: ignore[arg-type]
    return [row.title for row in page.rows]


def test_an_administrator_sees_every_units_waiting_records_oldest_first(
    sessions: sessionmaker[Session], world: dict[str, int]
) -> None:
    admin = principal(UserRole.ADMIN)
    with sessions() as db:
        assert titles(db, admin) == [
            "记录 u02_nov", "记录 u01_oct", "记录 b1_nov", "记录 u01_nov", "制度汇编"
        ]  # fmt: skip
        assert review_inbox.pending_count(db, admin) == 5
        assert titles(db, admin, unit_code="U02") == ["记录 u02_nov"]
        page = review_inbox.inbox_page(db, shipped_catalog(), admin)
    assert [(u.code, u.pending) for u in page.units] == [("U01", 4), ("U02", 1)]


def test_rows_name_the_unit_branch_task_item_and_period_never_ids_alone(
    sessions: sessionmaker[Session], world: dict[str, int]
) -> None:
    with sessions() as db:
        page = review_inbox.inbox_page(db, shipped_catalog(), principal(UserRole.ADMIN))
    rows = {row.record_id: row for row in page.rows}
    study = rows[world["u01_oct"]]
    assert (study.unit_code, study.branch, study.period_key) == ("U01", None, "2026-10")
    assert study.task_title == shipped_catalog().rule("central-group-study").title
    rule = shipped_catalog().rule("central-group-study")
    assert study.ledger_item == rule.ledger_item
    assert study.item_name == shipped_catalog().item(rule.ledger_item).name
    assert [(f.position, f.name) for f in study.files] == [(1, "会议记录.pdf")]
    assert study.recorded_by == "张书记" and study.participants == 9
    branch = rows[world["b1_nov"]]
    assert branch.branch is not None and branch.branch != branch.unit_name
    standing = rows[world["standing"]]
    assert (standing.task_id, standing.period_key, standing.year) == (None, None, 2026)
    assert standing.item_name


def test_a_unit_manager_sees_only_their_own_units_records(
    sessions: sessionmaker[Session], world: dict[str, int]
) -> None:
    manager = principal(UserRole.UNIT_MANAGER, world["U01"])
    with sessions() as db:
        assert titles(db, manager) == ["记录 u01_oct", "记录 b1_nov", "记录 u01_nov", "制度汇编"]
        assert review_inbox.pending_count(db, manager) == 4
        with pytest.raises(NotFound):
            titles(db, manager, unit_code="U02")
        other = principal(UserRole.UNIT_MANAGER, world["U02"])
        assert titles(db, other) == ["记录 u02_nov"]


@pytest.mark.parametrize("role", [UserRole.BRANCH_SECRETARY, UserRole.VIEWER])
def test_branch_secretaries_and_viewers_review_nothing(
    sessions: sessionmaker[Session], world: dict[str, int], role: UserRole
) -> None:
    who = principal(role, world["U01"], world["B1"] if role is UserRole.BRANCH_SECRETARY else None)
    with sessions.begin() as db:
        assert review_inbox.pending_count(db, who) == 0
        with pytest.raises(Forbidden):
            review_inbox.inbox_page(db, shipped_catalog(), who)
        if role is UserRole.BRANCH_SECRETARY:  # sees the branch's record, may not decide it
            with pytest.raises(Forbidden):
                evidence.review(db, POLICY, record_id=world["b1_nov"], accept=True,
                                reason=None, by=who, now=NOW)  # fmt: skip


def test_a_unit_manager_may_not_review_another_units_record(
    sessions: sessionmaker[Session], world: dict[str, int]
) -> None:
    manager = principal(UserRole.UNIT_MANAGER, world["U01"])
    with sessions.begin() as db, pytest.raises(NotFound):
        evidence.review(db, POLICY, record_id=world["u02_nov"], accept=True, reason=None,
                        by=manager, now=NOW)  # fmt: skip


def test_accepted_and_returned_records_leave_the_inbox_and_withdrawn_ones_too(
    sessions: sessionmaker[Session], world: dict[str, int]
) -> None:
    manager = principal(UserRole.UNIT_MANAGER, world["U01"])
    with sessions() as db:  # the count's query is kept per principal: its answer is not
        assert review_inbox.pending_count(db, manager) == 4
    with sessions.begin() as db:
        evidence.review(db, POLICY, record_id=world["u01_oct"], accept=True, reason=None,
                        by=manager, now=NOW, pending_only=True)  # fmt: skip
        evidence.review(db, POLICY, record_id=world["b1_nov"], accept=False, reason="缺签到表",
                        by=manager, now=NOW, pending_only=True)  # fmt: skip
        evidence.withdraw(db, record_id=world["standing"], reason="传错了", by=manager, now=NOW)
    with sessions() as db:
        assert titles(db, manager) == ["记录 u01_nov"]
        assert review_inbox.pending_count(db, manager) == 1
        returned = db.get(EvidenceRecord, world["b1_nov"])
        assert returned is not None and returned.review_state is ReviewState.REJECTED
        assert returned.review_reason == "缺签到表"
        assert returned.reviewed_by == f"web:{manager.username}"


def test_returning_without_a_reason_changes_nothing(
    sessions: sessionmaker[Session], world: dict[str, int]
) -> None:
    manager = principal(UserRole.UNIT_MANAGER, world["U01"])
    with sessions() as db:
        audits = len(db.scalars(select(AuditEntry.id)).all())
    for reason in (None, "", "   "):
        with sessions.begin() as db, pytest.raises(InvalidRequest, match="退回原因"):
            evidence.review(db, POLICY, record_id=world["u01_oct"], accept=False,
                            reason=reason, by=manager, now=NOW, pending_only=True)  # fmt: skip
    with sessions() as db:
        record = db.get(EvidenceRecord, world["u01_oct"])
        assert record is not None and record.review_state is ReviewState.PENDING
        assert record.reviewed_at is None
        assert len(db.scalars(select(AuditEntry.id)).all()) == audits
        assert "记录 u01_oct" in titles(db, manager)


def test_the_inbox_decides_only_what_still_waits(
    sessions: sessionmaker[Session], world: dict[str, int]
) -> None:
    """A second reviewer acting on a stale inbox does not overwrite the first decision."""
    with sessions.begin() as db:
        evidence.review(db, POLICY, record_id=world["u01_oct"], accept=False, reason="缺照片",
                        by=operator("组织部"), now=NOW, pending_only=True)  # fmt: skip
    manager = principal(UserRole.UNIT_MANAGER, world["U01"])
    with sessions.begin() as db, pytest.raises(InvalidRequest, match="已经审核（已退回）"):
        evidence.review(db, POLICY, record_id=world["u01_oct"], accept=True, reason=None,
                        by=manager, now=NOW, pending_only=True)  # fmt: skip
    with sessions() as db:
        record = db.get(EvidenceRecord, world["u01_oct"])
        assert record is not None and record.review_reason == "缺照片"


def test_pages_hold_whole_rows_and_a_page_past_the_end_shows_the_last(
    sessions: sessionmaker[Session], world: dict[str, int]
) -> None:
    admin = principal(UserRole.ADMIN)
    catalog = shipped_catalog()
    with sessions() as db:
        pages = [
            review_inbox.inbox_page(db, catalog, admin, page=n, rows_per_page=2) for n in (1, 2, 3)
        ]
        last = review_inbox.inbox_page(db, catalog, admin, page=9, rows_per_page=2)
    assert [len(p.rows) for p in pages] == [2, 2, 1]
    assert {p.pages for p in pages} == {3} and {p.total for p in pages} == {5}
    assert [r.record_id for p in pages for r in p.rows] == [
        world[n] for n in ("u02_nov", "u01_oct", "b1_nov", "u01_nov", "standing")
    ]
    assert last.number == 3 and last.rows == pages[2].rows


@pytest.mark.parametrize("role", [UserRole.ADMIN, UserRole.UNIT_MANAGER])
def test_the_headers_count_is_read_along_the_pending_index(
    sessions: sessionmaker[Session], world: dict[str, int], role: UserRole
) -> None:
    """One COUNT whose plan uses ix_evidence_record_pending (on PostgreSQL with sequential
    scans discouraged: a table this small is otherwise read whole, rightly)."""
    who = principal(role, world["U01"] if role is UserRole.UNIT_MANAGER else None)
    query = select(func.count()).select_from(EvidenceRecord)
    query = query.where(review_inbox.pending_clause(who))
    with sessions() as db:
        dialect = db.get_bind().dialect
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "sqlite":
            plan = db.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
        else:
            db.execute(text("SET LOCAL enable_seqscan = off"))
            plan = db.execute(text(f"EXPLAIN {sql}")).all()
    assert "ix_evidence_record_pending" in " ".join(str(step) for step in plan)


def test_the_headers_count_names_the_pending_state_in_its_sql_so_the_partial_index_applies(
    sessions: sessionmaker[Session], world: dict[str, int]
) -> None:
    # A bound state would leave a statement prepared for any value (PostgreSQL's generic
    # plans) unable to use ix_evidence_record_pending, which holds the pending records only.
    from sqlalchemy import event

    sent: list[str] = []
    with sessions() as db:
        bind = db.get_bind()

        def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            sent.append(statement)

        event.listen(bind, "before_cursor_execute", note)
        try:
            count = review_inbox.pending_count(db, principal(UserRole.ADMIN))
        finally:
            event.remove(bind, "before_cursor_execute", note)
    assert count == 5
    assert any("review_state = 'PENDING'" in statement for statement in sent)
