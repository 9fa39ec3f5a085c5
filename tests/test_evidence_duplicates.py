"""The same files sent twice to one task make one record: a double submit is refused with the
record it repeats, through the service (both databases), the task page, the API and the CLI."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests import factories
from tests.evidence_support import add_to_task
from tests.helpers import shipped_catalog
from tests.storage_samples import PDF
from tests.web_support import WebWorld, web, world_template

from obligations.accounts.access import operator
from obligations.errors import AlreadyRecorded
from obligations.evidence import records as evidence
from obligations.evidence.intake import Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.models import EvidenceFile, EvidenceRecord, Task
from obligations.tasks.generation import generate_tasks
from obligations.vocabulary import EvidenceKind

__all__ = ["web", "world_template"]

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
POLICY = EvidencePolicy(limits=UploadLimits(max_bytes=10_000))
DATA = EvidenceInput(title="中心组学习", held_on=date(2026, 11, 3), kind=EvidenceKind.MINUTES)


def study(session: Session, month: str) -> Task:
    return session.scalars(
        select(Task).where(Task.rule_id == "central-group-study", Task.period_key == month)
    ).first()  # type: ignore[return-value]


def add(session: Session, store: LocalBlobStore, task: Task, *uploads: Upload) -> EvidenceRecord:
    return add_to_task(
        session,
        store,
        POLICY,
        task_id=task.id,
        data=DATA if task.period_key == "2026-11" else EvidenceInput("学习", date(2026, 10, 9)),
        uploads=uploads,
        actor="张书记",
        now=NOW,
    )


def pdf(content: bytes = PDF, name: str = "会议记录.pdf") -> Upload:
    return Upload(name, io.BytesIO(content))


def counts(session: Session) -> tuple[int, int]:
    records = session.scalar(select(func.count()).select_from(EvidenceRecord)) or 0
    files = session.scalar(select(func.count()).select_from(EvidenceFile)) or 0
    return records, files


@pytest.fixture
def world(
    sessions: sessionmaker[Session], tmp_path
) -> tuple[sessionmaker[Session], LocalBlobStore]:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=date(2026, 12, 31), now=NOW)
    return sessions, LocalBlobStore(tmp_path / "evidence")


def test_the_same_file_sent_twice_to_a_task_is_refused_and_nothing_is_written(
    world: tuple[sessionmaker[Session], LocalBlobStore],
) -> None:
    sessions, store = world
    with sessions.begin() as session:
        first = add(session, store, study(session, "2026-11"), pdf())
    with sessions.begin() as session:
        with pytest.raises(AlreadyRecorded) as refused:
            add(session, store, study(session, "2026-11"), pdf(name="会议记录(1).pdf"))
        assert counts(session) == (1, 1)
    assert str(refused.value) == (
        "该任务已登记过相同的文件（材料“中心组学习”，登记于2026年11月25日 10:00），未重复登记"
    )
    assert len(list(store.iter_blobs())) == 1 and first.id is not None


def test_a_different_file_on_the_same_task_is_accepted(
    world: tuple[sessionmaker[Session], LocalBlobStore],
) -> None:
    sessions, store = world
    with sessions.begin() as session:
        task = study(session, "2026-11")
        add(session, store, task, pdf())
        add(session, store, task, pdf(PDF + b"%sign", "签到表.pdf"))
        add(session, store, task, pdf(), pdf(PDF + b"%photo", "照片.pdf"))  # one file is new
        assert counts(session) == (3, 4)


def test_the_same_file_on_another_task_is_accepted_and_its_content_shared(
    world: tuple[sessionmaker[Session], LocalBlobStore],
) -> None:
    sessions, store = world
    with sessions.begin() as session:
        add(session, store, study(session, "2026-11"), pdf())
        add(session, store, study(session, "2026-10"), pdf())
        assert counts(session) == (2, 2)
    assert len(list(store.iter_blobs())) == 1


def test_the_same_file_may_be_sent_again_once_its_record_is_withdrawn(
    world: tuple[sessionmaker[Session], LocalBlobStore],
) -> None:
    sessions, store = world
    with sessions.begin() as session:
        task = study(session, "2026-11")
        record = add(session, store, task, pdf())
        evidence.withdraw(session, record_id=record.id, reason="传错了", by=operator("x"), now=NOW)
        add(session, store, task, pdf())
        assert counts(session) == (2, 2)


FIELDS = {"title": "十月支部党员大会", "held_on": "2026-10-20", "kind": "minutes"}


def test_a_double_submit_on_the_task_page_answers_409_with_the_form_kept(web: WebWorld) -> None:
    client, csrf = web.login("b1_secretary")
    url = f"/tasks/{web.ids['task_b1']}/evidence"
    files = [("files", ("会议记录.pdf", PDF + b"%web", "application/pdf"))]
    first = client.post(url, data={"csrf_token": csrf} | FIELDS, files=files)
    again = client.post(url, data={"csrf_token": csrf} | FIELDS, files=files)
    assert first.status_code == 303 and again.status_code == 409
    assert "未重复登记" in again.text and 'value="十月支部党员大会"' in again.text
    with web.sessions() as db:
        task_records = select(EvidenceRecord).where(EvidenceRecord.task_id == web.ids["task_b1"])
        assert len(db.scalars(task_records).all()) == 1


def test_a_double_submit_through_the_api_answers_409_in_chinese(web: WebWorld) -> None:
    api = web.api("b1_secretary")
    url = f"/api/tasks/{web.ids['task_b1']}/evidence"
    files = [("files", ("会议记录.pdf", PDF + b"%api", "application/pdf"))]
    assert api.post(url, data=FIELDS, files=files).status_code == 201
    again = api.post(url, data=FIELDS, files=files)
    assert again.status_code == 409 and "该任务已登记过相同的文件" in again.text
