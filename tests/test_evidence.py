"""Evidence closes tasks: counts, periods, late records, review, waivers, withdrawals, refusals."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from tests import factories
from tests.evidence_support import add_standing, add_to_task
from tests.helpers import shipped_catalog
from tests.storage_samples import EXE, JPEG, PDF

from obligations.accounts.access import operator
from obligations.errors import InvalidRequest, NotFound
from obligations.evidence import records as evidence
from obligations.evidence.intake import Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy, StandingTarget
from obligations.evidence.storage import LocalBlobStore, StorageRefused, UploadLimits
from obligations.models import AuditEntry, EvidenceRecord, Task
from obligations.tasks import waivers
from obligations.tasks.generation import generate_tasks
from obligations.tasks.reconcile import RETIRED_RULE_GONE
from obligations.tasks.state import task_state
from obligations.tasks.status import TaskStatus
from obligations.vocabulary import EvidenceKind

# 2026-11-25 10:00 in Shanghai: November's tasks are open, October's are overdue.
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
POLICY = EvidencePolicy(limits=UploadLimits(max_bytes=10_000))
SECRETARY = "张书记"


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "evidence")


@pytest.fixture
def college(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=date(2026, 12, 31), now=NOW)
        return {code: org.id for code, org in orgs.items()}


def study(session: Session, college: dict[str, int], month: str) -> Task:
    """U01's central-group study task of a month (one activity a month)."""
    return session.scalars(
        select(Task).where(
            Task.rule_id == "central-group-study",
            Task.unit_id == college["U01"],
            Task.period_key == month,
        )
    ).one()


def held(day: date, title: str = "中心组学习") -> EvidenceInput:
    return EvidenceInput(title=title, held_on=day, kind=EvidenceKind.MINUTES, participants=9)


def pdf(name: str = "会议记录.pdf", content: bytes = PDF) -> Upload:
    return Upload(name, io.BytesIO(content))


def add(
    session: Session,
    store: LocalBlobStore,
    task: Task,
    day: date,
    *uploads: Upload,
    now: datetime = NOW,
) -> EvidenceRecord:
    return add_to_task(
        session,
        store,
        POLICY,
        task_id=task.id,
        data=held(day),
        uploads=uploads or (pdf(),),
        actor=SECRETARY,
        now=now,
    )


def state(session: Session, task: Task, today: date = TODAY) -> TaskStatus:
    session.flush()
    return task_state(session, task, today=today, due_soon_days=7)


def counts(session: Session, store: LocalBlobStore) -> tuple[int, int, int]:
    records = session.scalar(select(func.count()).select_from(EvidenceRecord)) or 0
    entries = (
        session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity != "tasks")
        )
        or 0
    )
    return records, entries, len(list(store.iter_blobs()))


def test_a_task_is_done_once_enough_records_held_in_its_period_exist(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        task = study(session, college, "2026-11")
        task.min_count = 2
        assert state(session, task) is TaskStatus.DUE_SOON
        add(session, store, task, date(2026, 11, 3))
        assert state(session, task) is TaskStatus.DUE_SOON
        add(session, store, task, date(2026, 11, 20), pdf("签到表.pdf", PDF + b"%sign"))
        assert state(session, task) is TaskStatus.DONE


def test_a_record_held_outside_the_period_is_refused_with_the_period_and_nothing_is_kept(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        task = study(session, college, "2026-11")
        with pytest.raises(InvalidRequest, match=r"2026-11-01 至 2026-11-30"):
            add(session, store, task, date(2026, 10, 31))
        assert counts(session, store) == (0, 0, 0)


def test_an_activity_dated_after_today_is_refused(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        task = study(session, college, "2026-11")
        with pytest.raises(InvalidRequest, match="晚于今天"):
            add(session, store, task, date(2026, 11, 28))
        assert counts(session, store) == (0, 0, 0)


def test_a_record_made_after_the_due_date_for_an_activity_held_in_time_is_done_late(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        october = study(session, college, "2026-10")
        assert state(session, october) is TaskStatus.OVERDUE
        add(session, store, october, date(2026, 10, 15))
        assert state(session, october) is TaskStatus.DONE_LATE


def test_a_record_made_on_the_due_date_in_local_time_is_on_time(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    # 2026-10-30 23:30 in Shanghai is 15:30 UTC the same day: still the due date locally.
    late_evening = datetime(2026, 10, 30, 15, 30, tzinfo=UTC)
    with sessions.begin() as session:
        october = study(session, college, "2026-10")
        add(session, store, october, date(2026, 10, 30), now=late_evening)
        assert state(session, october) is TaskStatus.DONE


def test_a_rejection_reopens_the_task_and_says_why(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        task = study(session, college, "2026-11")
        record = add(session, store, task, date(2026, 11, 3))
        assert state(session, task) is TaskStatus.DONE
        evidence.review(
            session, POLICY, record_id=record.id, accept=False, reason="缺少签到表",
            by=operator("组织部"), now=NOW,
        )  # fmt: skip
        assert state(session, task) is TaskStatus.DUE_SOON
        assert (record.review_state.label, record.review_reason) == ("已退回", "缺少签到表")
        evidence.review(
            session,
            POLICY,
            record_id=record.id,
            accept=True,
            reason=None,
            by=operator("组织部"),
            now=NOW,
        )
        assert state(session, task) is TaskStatus.DONE


def test_a_rejection_without_a_reason_is_refused(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        record = add(session, store, study(session, college, "2026-11"), date(2026, 11, 3))
        with pytest.raises(InvalidRequest, match="退回原因不能为空"):
            evidence.review(
                session,
                POLICY,
                record_id=record.id,
                accept=False,
                reason=" ",
                by=operator("x"),
                now=NOW,
            )


def test_review_is_refused_when_the_deployment_turned_it_off(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    off = EvidencePolicy(limits=POLICY.limits, review_enabled=False)
    with sessions.begin() as session:
        task = study(session, college, "2026-11")
        record = add_to_task(
            session,
            store,
            off,
            task_id=task.id,
            data=held(date(2026, 11, 3)),
            uploads=[pdf()],
            actor="x",
            now=NOW,
        )
        assert record.review_state.label == "无需审核"
        with pytest.raises(InvalidRequest, match="未启用材料审核"):
            evidence.review(
                session,
                off,
                record_id=record.id,
                accept=True,
                reason=None,
                by=operator("x"),
                now=NOW,
            )


def test_a_withdrawn_record_stops_counting_stays_listed_and_cannot_be_reviewed(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        task = study(session, college, "2026-11")
        record = add(session, store, task, date(2026, 11, 3))
        evidence.withdraw(
            session, record_id=record.id, reason="传错了文件", by=operator("x"), now=NOW
        )
        assert state(session, task) is TaskStatus.DUE_SOON
        assert [r.id for r in evidence.list_records(session, task_id=task.id)] == [record.id]
        with pytest.raises(InvalidRequest, match="已撤回，不能审核"):
            evidence.review(
                session,
                POLICY,
                record_id=record.id,
                accept=True,
                reason=None,
                by=operator("x"),
                now=NOW,
            )
        with pytest.raises(InvalidRequest, match="已于 2026-11-25 10:00 撤回"):
            evidence.withdraw(
                session, record_id=record.id, reason="再撤", by=operator("x"), now=NOW
            )


def test_a_waived_task_is_waived_until_the_waiver_is_undone(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        october = study(session, college, "2026-10")
        waivers.waive(
            session, task_id=october.id, reason="本月并入全校集中学习", by=operator("x"), now=NOW
        )
        assert state(session, october) is TaskStatus.WAIVED
        assert (october.waived_by, october.waived_at) == ("x", NOW)
        with pytest.raises(InvalidRequest, match="已被 x 豁免"):
            waivers.waive(session, task_id=october.id, reason="again", by=operator("x"), now=NOW)
        waivers.unwaive(session, task_id=october.id, by=operator("y"), now=NOW)
        assert state(session, october) is TaskStatus.OVERDUE
        with pytest.raises(InvalidRequest, match="未被豁免"):
            waivers.unwaive(session, task_id=october.id, by=operator("y"), now=NOW)


def test_a_done_task_cannot_be_waived_and_a_waiver_needs_a_reason(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        task = study(session, college, "2026-11")
        with pytest.raises(InvalidRequest, match="豁免原因不能为空"):
            waivers.waive(session, task_id=task.id, reason="", by=operator("x"), now=NOW)
        add(session, store, task, date(2026, 11, 3))
        with pytest.raises(InvalidRequest, match="已完成"):
            waivers.waive(session, task_id=task.id, reason="不适用", by=operator("x"), now=NOW)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("大文件.pdf", PDF + bytes(20_000), "大小上限"),
        ("伪装.pdf", EXE, "实际类型为 exe"),
        ("空.pdf", b"", "为空"),
        ("../../etc/passwd", PDF, "路径分隔符"),
        ("a\x00b.pdf", PDF, "空字符"),
        ("长" * 300 + ".pdf", PDF, "255"),
    ],
    ids=["too-large", "disguised-exe", "empty", "path", "nul", "300-characters"],
)
def test_a_refused_file_stores_nothing_and_says_what_is_allowed(
    sessions: sessionmaker[Session],
    college: dict[str, int],
    store: LocalBlobStore,
    name: str,
    content: bytes,
    message: str,
) -> None:
    with sessions.begin() as session:
        task = study(session, college, "2026-11")
        with pytest.raises(StorageRefused, match=message):
            add(session, store, task, date(2026, 11, 3), Upload(name, io.BytesIO(content)))
        assert counts(session, store) == (0, 0, 0)
        assert list((store.root / "tmp").iterdir()) == []


def test_a_refused_second_file_removes_the_first_files_new_content(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        task = study(session, college, "2026-11")
        with pytest.raises(StorageRefused):
            add(session, store, task, date(2026, 11, 3), pdf(), Upload("x.jpg", io.BytesIO(EXE)))
        assert counts(session, store) == (0, 0, 0)


def test_content_already_kept_for_another_record_survives_a_refused_upload(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        task = study(session, college, "2026-11")
        add(session, store, task, date(2026, 11, 3), Upload("photo.jpg", io.BytesIO(JPEG)))
        with pytest.raises(StorageRefused):
            add(session, store, task, date(2026, 11, 4), Upload("again.jpg", io.BytesIO(JPEG)),
                Upload("bad.pdf", io.BytesIO(b"")))  # fmt: skip
        assert counts(session, store)[::2] == (1, 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "  "}, "标题不能为空"),
        ({"title": "长" * 201}, "最多 200"),
        ({"participants": -1}, "参加人数 -1 无效"),
        ({"hours": "两小时"}, "不是数字"),
        ({"hours": "1.25"}, "最多一位小数"),
        ({"hours": "0"}, "应大于 0"),
    ],
)
def test_bad_fields_are_refused_before_anything_is_stored(
    sessions: sessionmaker[Session],
    college: dict[str, int],
    store: LocalBlobStore,
    change: dict[str, object],
    message: str,
) -> None:
    data = EvidenceInput(**{**held(date(2026, 11, 3)).__dict__, **change})  # type: ignore[arg-type]
    with sessions.begin() as session:
        task = study(session, college, "2026-11")
        with pytest.raises(InvalidRequest, match=message):
            add_to_task(
                session, store, POLICY, task_id=task.id, data=data, uploads=[pdf()],
                actor="x", now=NOW,
            )  # fmt: skip
        assert counts(session, store) == (0, 0, 0)


def test_unknown_task_or_record_ids_are_not_found(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        with pytest.raises(NotFound, match="没有编号为 999999 的任务"):
            add_to_task(
                session, store, POLICY, task_id=999999, data=held(TODAY), actor="x", now=NOW
            )
        with pytest.raises(NotFound, match="没有编号为 424242 的佐证材料"):
            evidence.withdraw(session, record_id=424242, reason="x", by=operator("x"), now=NOW)
        with pytest.raises(NotFound):
            waivers.waive(session, task_id=999999, reason="x", by=operator("x"), now=NOW)


def test_standing_evidence_is_filed_by_unit_item_and_year(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    catalog = shipped_catalog()
    with sessions.begin() as session:
        record = add_standing(
            session, store, POLICY, catalog,
            target=StandingTarget("U01", "1.3", 2026),
            data=EvidenceInput(title="活动室", held_on=date(2026, 3, 1), kind=EvidenceKind.PHOTOS),
            uploads=[Upload("活动室.jpg", io.BytesIO(JPEG))], actor="x", now=NOW,
        )  # fmt: skip
        assert (record.task_id, record.ledger_item, record.year) == (None, "1.3", 2026)
        listed = evidence.list_records(session, unit_code="U01", ledger_item="1.3", year=2026)
        assert [r.id for r in listed] == [record.id]
        with pytest.raises(InvalidRequest, match=r"台账中没有条目 9\.9"):
            add_standing(
                session, store, POLICY, catalog, target=StandingTarget("U01", "9.9", 2026),
                data=held(date(2026, 3, 1)), actor="x", now=NOW,
            )  # fmt: skip
        with pytest.raises(InvalidRequest, match="不在 2025 年内"):
            add_standing(
                session, store, POLICY, catalog, target=StandingTarget("U01", "1.3", 2025),
                data=held(date(2026, 3, 1)), actor="x", now=NOW,
            )  # fmt: skip
        with pytest.raises(NotFound, match="U01-B01"):
            add_standing(
                session, store, POLICY, catalog, target=StandingTarget("U01-B01", "1.3", 2026),
                data=held(date(2026, 3, 1)), actor="x", now=NOW,
            )  # fmt: skip


def test_a_retired_task_keeps_its_evidence_and_takes_no_more(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        task = study(session, college, "2026-11")
        add(session, store, task, date(2026, 11, 3))
        task.retired_at, task.retired_reason = NOW, RETIRED_RULE_GONE
        assert state(session, task) is TaskStatus.DONE
        with pytest.raises(InvalidRequest, match="已不再要求"):
            add(session, store, task, date(2026, 11, 4))


def test_every_operation_leaves_exactly_its_audit_entries(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    later = NOW + timedelta(minutes=5)
    with sessions.begin() as session:
        task = study(session, college, "2026-11")
        october = study(session, college, "2026-10")
        before = session.scalar(select(func.max(AuditEntry.id))) or 0
        record = add(session, store, task, date(2026, 11, 3))
        evidence.review(
            session, POLICY, record_id=record.id, accept=False, reason="不清晰",
            by=operator("组织部"), now=later,
        )  # fmt: skip
        evidence.withdraw(
            session, record_id=record.id, reason="重新上传", by=operator(SECRETARY), now=later
        )
        waivers.waive(
            session, task_id=october.id, reason="不适用", by=operator("组织部"), now=later
        )
        waivers.unwaive(session, task_id=october.id, by=operator("组织部"), now=later)
        with pytest.raises(InvalidRequest):  # a refusal leaves no entry
            waivers.unwaive(session, task_id=october.id, by=operator("组织部"), now=later)
        session.flush()
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.id > before).order_by(AuditEntry.id)
        ).all()
    assert [(e.action, e.entity, e.entity_id, e.actor) for e in entries] == [
        ("evidence.add", "evidence", record.id, SECRETARY),
        ("evidence.review", "evidence", record.id, "组织部"),
        ("evidence.withdraw", "evidence", record.id, SECRETARY),
        ("task.waive", "task", october.id, "组织部"),
        ("task.unwaive", "task", october.id, "组织部"),
    ]
    add_entry, review_entry, withdraw_entry, waive_entry, unwaive_entry = entries
    assert add_entry.before is None and add_entry.after is not None
    assert add_entry.after["files"][0]["name"] == "会议记录.pdf"
    assert review_entry.before is not None and review_entry.after is not None
    assert (review_entry.before["review_state"], review_entry.after["review_state"]) == (
        "pending",
        "rejected",
    )
    assert withdraw_entry.after is not None and withdraw_entry.after["withdrawn"] is True
    assert waive_entry.after == {**(waive_entry.before or {}), "waived": True,
                                 "waived_by": "组织部", "waived_reason": "不适用"}  # fmt: skip
    assert unwaive_entry.after is not None and unwaive_entry.after["waived"] is False
    assert {e.unit_id for e in entries} == {college["U01"]}


def test_the_audit_log_refuses_updates_and_deletes(
    sessions: sessionmaker[Session], college: dict[str, int], store: LocalBlobStore
) -> None:
    with sessions.begin() as session:
        add(session, store, study(session, college, "2026-11"), date(2026, 11, 3))
    for statement in ("UPDATE audit_entry SET actor = 'someone else'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as session:
            session.execute(text(statement))
    with sessions() as session:
        actors = session.scalars(select(AuditEntry.actor).where(AuditEntry.entity == "evidence"))
        assert actors.all() == [SECRETARY]


def test_regeneration_logs_retired_tasks_one_by_one(
    sessions: sessionmaker[Session], college: dict[str, int]
) -> None:
    catalog = shipped_catalog()
    kept = [r for r in catalog.rules if r.rule.id != "relation-audit"]
    smaller = type(catalog)(
        catalog.ledger, kept, catalog.indicators, catalog.holidays, catalog.holidays_file
    )
    with sessions.begin() as session:
        before = session.scalar(select(func.max(AuditEntry.id))) or 0
        generate_tasks(session, smaller, through=date(2026, 12, 31), now=NOW, actor="组织部")
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.after)
            .where(AuditEntry.id > before)
            .order_by(AuditEntry.id)
        ).all()
    assert [a for a, _ in entries] == ["tasks.generate", "task.retire", "task.retire"]
    assert entries[0][1] == {
        "through": "2026-12-31", "created": 0, "updated": 0, "retired": 2, "restored": 0,
    }  # fmt: skip
