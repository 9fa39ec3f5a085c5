"""Record evidence against tasks and ledger items; withdraw and review it.

The CLI and the web app call these functions (adding evidence through
:mod:`obligations.evidence.intake`, which stores the files first); they hold no rules of their
own. Each function checks that the acting principal may do what it asks
(:mod:`obligations.accounts.access`). Every change is written with its audit entry in the
caller's transaction.

Crash safety: files are stored (fsynced, atomically linked) before the record that points to
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
from obligations.accounts import access
from obligations.accounts.access import Principal
from obligations.audit import Action
from obligations.errors import InvalidRequest, NotFound
from obligations.evidence import rules as checks
from obligations.evidence.duplicates import lock_task, refuse_same_files
from obligations.evidence.storage import BlobStore, StoredBlob, UploadLimits
from obligations.evidence.storage.limits import format_size
from obligations.lookup import get_task, organization_id
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
class StoredFile:
    """A file already in the store: its cleaned original name and its blob."""

    name: str
    blob: StoredBlob


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
    policy: EvidencePolicy,
    *,
    task_id: int,
    data: EvidenceInput,
    files: Sequence[StoredFile] = (),
    by: Principal,
    now: datetime,
) -> EvidenceRecord:
    """Record an activity held for a task, with its stored files.

    Raises ``NotFound`` for a task ``by`` cannot see, ``Forbidden`` if ``by`` may not add
    evidence to it, ``InvalidRequest`` for a retired task, a field that fails its check, or no
    file where the task's rule requires one (``Rule.file_required``): every door (CLI, web
    form, JSON API) records through here, so none can let a file-less record close a task;
    ``AlreadyRecorded`` for a double submit (:mod:`obligations.evidence.duplicates`)."""
    task = access.require_task(session, by, task_id)
    access.require_can_add_evidence(by, task)
    lock_task(session, task)
    if task.retired_at is not None:
        raise InvalidRequest(f"任务 {task_id} 已不再要求（{task.retired_reason}），不能再登记材料")
    today = local_date(now)
    _raise_if(checks.held_on_problem(data.held_on, task.period_start, task.period_end, today))
    limits = policy.limits
    _raise_if(
        checks.file_problem(
            len(files),
            file_required=task.file_required,
            allowed=limits.allowed_text,
            max_size=format_size(limits.max_bytes),
        )
    )
    refuse_same_files(session, task.id, [file.blob.sha256 for file in files])
    return _add(
        session,
        policy,
        task=task,
        unit_id=task.unit_id,
        ledger_item=task.ledger_item,
        data=data,
        files=files,
        actor=by.actor,
        now=now,
    )


def add_standing(
    session: Session,
    policy: EvidencePolicy,
    catalog: Catalog,
    *,
    target: StandingTarget,
    data: EvidenceInput,
    files: Sequence[StoredFile] = (),
    by: Principal,
    now: datetime,
) -> EvidenceRecord:
    """Record standing evidence for a ledger item of a unit for a year (no task).

    Raises ``NotFound`` for a unit ``by`` cannot see, ``Forbidden`` unless ``by`` writes the
    unit's ledger, ``InvalidRequest`` for an unknown item or a field that fails its check."""
    unit = access.require_unit(session, by, target.unit_code)
    access.require_can_add_standing(by, unit)
    items = {item.id for item in catalog.items}
    if target.ledger_item not in items:
        known = "、".join(sorted(items, key=_item_order))
        raise InvalidRequest(f"台账中没有条目 {target.ledger_item}；现有条目：{known}")
    _raise_if(checks.year_problem(data.held_on, target.year, local_date(now)))
    return _add(
        session,
        policy,
        task=None,
        unit_id=unit.id,
        ledger_item=target.ledger_item,
        data=data,
        files=files,
        actor=by.actor,
        now=now,
    )


def withdraw(
    session: Session, *, record_id: int, reason: str, by: Principal, now: datetime
) -> EvidenceRecord:
    """Withdraw a record: it stops counting and stays in the history with the reason.

    Raises ``NotFound`` for a record ``by`` cannot see, ``Forbidden`` if ``by`` may not
    withdraw it, ``InvalidRequest`` without a reason or for a record already withdrawn."""
    record = access.require_record(session, by, record_id)
    access.require_can_withdraw(session, by, record)
    actor = by.actor
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
    by: Principal,
    now: datetime,
    pending_only: bool = False,
) -> EvidenceRecord:
    """Accept, or reject with a reason (a rejection reopens the task). A decision can be
    revised by reviewing again (unless ``pending_only``: the review inbox decides only what
    is still waiting, so two reviewers never overwrite each other); a withdrawn record cannot
    be reviewed.

    Raises ``NotFound`` for a record ``by`` cannot see, ``Forbidden`` unless ``by`` reviews
    the record's unit (the organization department, the unit's managers:
    :func:`access.can_review`), ``InvalidRequest`` if review is off, a reason is missing or
    (``pending_only``) the record was reviewed already. Nothing is changed when it raises."""
    record = access.require_record(session, by, record_id)
    access.require_can_review(by, record)
    if not policy.review_enabled:
        raise InvalidRequest("本系统未启用材料审核（设置 OBLIGATIONS_REVIEW_ENABLED）")
    actor = by.actor
    if record.withdrawn_at is not None:
        raise InvalidRequest(f"材料“{record.title}”已撤回，不能审核")
    if pending_only and record.review_state is not ReviewState.PENDING:
        raise InvalidRequest(
            f"材料“{record.title}”已经审核（{record.review_state.label}），不再等待审核"
        )
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
    policy: EvidencePolicy,
    *,
    task: Task | None,
    unit_id: int,
    ledger_item: str,
    data: EvidenceInput,
    files: Sequence[StoredFile],
    actor: str,
    now: datetime,
) -> EvidenceRecord:
    hours = checked_input(data, len(files))
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
            sha256=file.blob.sha256,
            size=file.blob.size,
            media_type=file.blob.media_type,
            original_name=file.name,
        )
        for position, file in enumerate(files, start=1)
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


def checked_input(data: EvidenceInput, file_count: int) -> Decimal | None:
    """Every field checked (before anything is stored, where the caller can); the hours as a
    number. The first problem is raised as ``InvalidRequest``."""
    _raise_if(text_problem("标题", data.title, MAX_TITLE, required=True))
    _raise_if(text_problem("备注", data.notes, MAX_NOTES, required=False))
    _raise_if(checks.participants_problem(data.participants))
    hours, problem = checks.parse_hours(data.hours)
    _raise_if(problem)
    if file_count > MAX_FILES:
        raise InvalidRequest(f"一次最多上传 {MAX_FILES} 个文件，本次 {file_count} 个")
    return hours


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
