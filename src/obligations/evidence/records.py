"""Record evidence against tasks and ledger items; withdraw and review it.

The CLI and the web app call these functions; they hold no rules of their own. Every change is
written with its audit entry in the caller's transaction.

Crash safety: files are stored (fsynced, atomically renamed) before the record that points to
them is inserted, so a committed record never points to a missing or partial file. A process
killed between the two leaves an unreferenced object, which ``verify`` reports and removes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

import obligations.audit as audit
from obligations.audit import Action
from obligations.errors import InvalidRequest, NotFound
from obligations.evidence import rules as checks
from obligations.evidence.storage import (
    BlobStore,
    StorageRefused,
    StoredBlob,
    UploadLimits,
    clean_filename,
)
from obligations.lookup import find_unit, get_task, organization_id
from obligations.models import EvidenceFile, EvidenceRecord, Task
from obligations.rules.catalog import Catalog
from obligations.tasks.state import refresh_done_on
from obligations.textcheck import MAX_NOTES, MAX_REASON, MAX_TITLE, text_problem
from obligations.timeutil import LOCAL_TZ, local_date
from obligations.vocabulary import EvidenceKind, ReviewState

MAX_FILES = 50


@dataclass(frozen=True)
class EvidencePolicy:
    """How a deployment treats evidence (from settings)."""

    limits: UploadLimits
    review_enabled: bool = True


@dataclass(frozen=True)
class Upload:
    """One file as it arrives: the name the user gave it and its content as a stream."""

    filename: str
    stream: BinaryIO


@dataclass(frozen=True)
class EvidenceInput:
    title: str
    held_on: date
    kind: EvidenceKind = EvidenceKind.MINUTES
    participants: int | None = None
    hours: str | Decimal | None = None
    notes: str | None = None


@dataclass(frozen=True)
class StandingTarget:
    """Standing evidence: a ledger item of a unit for a calendar year."""

    unit_code: str
    ledger_item: str
    year: int


def add_to_task(
    session: Session,
    store: BlobStore,
    policy: EvidencePolicy,
    *,
    task_id: int,
    data: EvidenceInput,
    uploads: Sequence[Upload] = (),
    actor: str,
    now: datetime,
) -> EvidenceRecord:
    """Record an activity held for a task, with its files."""
    task = get_task(session, task_id)
    if task.retired_at is not None:
        raise InvalidRequest(f"任务 {task_id} 已不再要求（{task.retired_reason}），不能再登记材料")
    today = local_date(now)
    _raise_if(checks.held_on_problem(data.held_on, task.period_start, task.period_end, today))
    return _add(
        session,
        store,
        policy,
        task=task,
        unit_id=task.unit_id,
        ledger_item=task.ledger_item,
        data=data,
        uploads=uploads,
        actor=actor,
        now=now,
    )


def add_standing(
    session: Session,
    store: BlobStore,
    policy: EvidencePolicy,
    catalog: Catalog,
    *,
    target: StandingTarget,
    data: EvidenceInput,
    uploads: Sequence[Upload] = (),
    actor: str,
    now: datetime,
) -> EvidenceRecord:
    """Record standing evidence for a ledger item of a unit for a year (no task)."""
    unit = find_unit(session, target.unit_code)
    items = {item.id for item in catalog.items}
    if target.ledger_item not in items:
        known = "、".join(sorted(items, key=_item_order))
        raise InvalidRequest(f"台账中没有条目 {target.ledger_item}；现有条目：{known}")
    _raise_if(checks.year_problem(data.held_on, target.year, local_date(now)))
    return _add(
        session,
        store,
        policy,
        task=None,
        unit_id=unit.id,
        ledger_item=target.ledger_item,
        data=data,
        uploads=uploads,
        actor=actor,
        now=now,
    )


def withdraw(
    session: Session, *, record_id: int, reason: str, actor: str, now: datetime
) -> EvidenceRecord:
    """Withdraw a record: it stops counting and stays in the history with the reason."""
    record = _record(session, record_id)
    _raise_if(text_problem("撤回原因", reason, MAX_REASON, required=True))
    if record.withdrawn_at is not None:
        raise InvalidRequest(f"材料 {record_id} 已于 {_local(record.withdrawn_at)} 撤回")
    before = _snapshot(record)
    record.withdrawn_at, record.withdrawn_by = now, actor
    record.withdrawn_reason = reason.strip()
    _refresh_task(session, record)
    _audit(session, record, Action.EVIDENCE_WITHDRAW, actor, now, before)
    return record


def review(
    session: Session,
    policy: EvidencePolicy,
    *,
    record_id: int,
    accept: bool,
    reason: str | None,
    actor: str,
    now: datetime,
) -> EvidenceRecord:
    """Accept, or reject with a reason (a rejection reopens the task). A decision can be
    revised by reviewing again; a withdrawn record cannot be reviewed."""
    if not policy.review_enabled:
        raise InvalidRequest("本系统未启用材料审核（设置 OBLIGATIONS_REVIEW_ENABLED）")
    record = _record(session, record_id)
    if record.withdrawn_at is not None:
        raise InvalidRequest(f"材料 {record_id} 已撤回，不能审核")
    _raise_if(text_problem("退回原因", reason, MAX_REASON, required=not accept))
    before = _snapshot(record)
    record.review_state = ReviewState.ACCEPTED if accept else ReviewState.REJECTED
    record.review_reason = (reason or "").strip() or None
    record.reviewed_by, record.reviewed_at = actor, now
    _refresh_task(session, record)
    _audit(session, record, Action.EVIDENCE_REVIEW, actor, now, before)
    return record


def get_record(session: Session, record_id: int) -> EvidenceRecord:
    return _record(session, record_id)


def list_records(
    session: Session,
    *,
    task_id: int | None = None,
    unit_code: str | None = None,
    ledger_item: str | None = None,
    year: int | None = None,
) -> list[EvidenceRecord]:
    """Records (withdrawn ones included: they are history), oldest activity first."""
    query = (
        select(EvidenceRecord)
        .options(selectinload(EvidenceRecord.files), selectinload(EvidenceRecord.unit))
        .order_by(EvidenceRecord.held_on, EvidenceRecord.id)
    )
    if task_id is not None:
        get_task(session, task_id)
        query = query.where(EvidenceRecord.task_id == task_id)
    if unit_code is not None:
        query = query.where(EvidenceRecord.unit_id == organization_id(session, unit_code))
    if ledger_item is not None:
        query = query.where(EvidenceRecord.ledger_item == ledger_item)
    if year is not None:
        query = query.where(EvidenceRecord.year == year)
    return list(session.scalars(query))


def find_file(record: EvidenceRecord, ref: str) -> EvidenceFile:
    """A record's file by its number (1, 2, ...) or its original name."""
    for file in record.files:
        if ref == str(file.position) or ref == file.original_name:
            return file
    listing = "；".join(f"{f.position}. {f.original_name}" for f in record.files) or "无文件"
    raise NotFound(f"材料 {record.id} 中没有文件“{ref}”；其文件为：{listing}")


def open_file(store: BlobStore, file: EvidenceFile) -> BinaryIO:
    return store.open(file.sha256)


def _add(
    session: Session,
    store: BlobStore,
    policy: EvidencePolicy,
    *,
    task: Task | None,
    unit_id: int,
    ledger_item: str,
    data: EvidenceInput,
    uploads: Sequence[Upload],
    actor: str,
    now: datetime,
) -> EvidenceRecord:
    hours = _checked(data, uploads)
    names = [clean_filename(u.filename) for u in uploads]
    blobs = _store_all(session, store, policy.limits, uploads, names)
    record = EvidenceRecord(
        task_id=task.id if task else None,
        unit_id=unit_id,
        ledger_item=ledger_item,
        year=data.held_on.year,
        title=data.title.strip(),
        held_on=data.held_on,
        kind=data.kind,
        participants=data.participants,
        hours=hours,
        notes=(data.notes or "").strip() or None,
        recorded_by=actor,
        recorded_at=now,
        review_state=ReviewState.PENDING if policy.review_enabled else ReviewState.NOT_REQUIRED,
    )
    record.files = [
        EvidenceFile(
            position=position,
            sha256=blob.sha256,
            size=blob.size,
            media_type=blob.media_type,
            original_name=name,
        )
        for position, (blob, name) in enumerate(zip(blobs, names, strict=True), start=1)
    ]
    session.add(record)
    session.flush()
    _refresh_task(session, record)
    _audit(session, record, Action.EVIDENCE_ADD, actor, now, None)
    return record


def _refresh_task(session: Session, record: EvidenceRecord) -> None:
    """Whether a record counts changed: the task's stored completion date follows."""
    if record.task_id is not None:
        refresh_done_on(session, [record.task_id])


def _checked(data: EvidenceInput, uploads: Sequence[Upload]) -> Decimal | None:
    """Every field checked before anything is stored; the first problem is raised."""
    _raise_if(text_problem("标题", data.title, MAX_TITLE, required=True))
    _raise_if(text_problem("备注", data.notes, MAX_NOTES, required=False))
    _raise_if(checks.participants_problem(data.participants))
    hours, problem = checks.parse_hours(data.hours)
    _raise_if(problem)
    if len(uploads) > MAX_FILES:
        raise InvalidRequest(f"一次最多上传 {MAX_FILES} 个文件，本次 {len(uploads)} 个")
    return hours


def _store_all(
    session: Session,
    store: BlobStore,
    limits: UploadLimits,
    uploads: Sequence[Upload],
    names: list[str],
) -> list[StoredBlob]:
    """Store every file, or none: a refusal removes what this call wrote before raising."""
    stored: list[StoredBlob] = []
    try:
        for upload, name in zip(uploads, names, strict=True):
            stored.append(store.put(upload.stream, limits=limits, filename=name))
    except StorageRefused:
        for blob in stored:
            if not blob.already_stored and not _referenced(session, blob.sha256):
                store.discard(blob.sha256)
        raise
    return stored


def _referenced(session: Session, sha256: str) -> bool:
    return session.scalar(select(EvidenceFile.id).where(EvidenceFile.sha256 == sha256)) is not None


def _record(session: Session, record_id: int) -> EvidenceRecord:
    record = session.get(EvidenceRecord, record_id)
    if record is None:
        raise NotFound(f"没有编号为 {record_id} 的佐证材料")
    return record


def _snapshot(record: EvidenceRecord) -> dict[str, object]:
    return {
        "task_id": record.task_id,
        "ledger_item": record.ledger_item,
        "year": record.year,
        "title": record.title,
        "held_on": record.held_on,
        "kind": record.kind,
        "participants": record.participants,
        "hours": record.hours,
        "notes": record.notes,
        "files": [
            {"name": f.original_name, "sha256": f.sha256, "size": f.size} for f in record.files
        ],
        "review_state": record.review_state,
        "review_reason": record.review_reason,
        "withdrawn_reason": record.withdrawn_reason,
        "withdrawn": record.withdrawn_at is not None,
    }


def _audit(
    session: Session,
    record: EvidenceRecord,
    action: str,
    actor: str,
    now: datetime,
    before: dict[str, object] | None,
) -> None:
    audit.record(
        session,
        now=now,
        actor=actor,
        action=action,
        entity="evidence",
        entity_id=record.id,
        unit_id=record.unit_id,
        before=before,
        after=_snapshot(record),
    )


def _raise_if(problem: str | None) -> None:
    if problem is not None:
        raise InvalidRequest(problem)


def _local(instant: datetime) -> str:
    return instant.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _item_order(item_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in item_id.split("."))
