"""Bulk intake against the database: the unit's year as an :class:`IntakeScope`, a proposal
for each file of a folder or ZIP (read one at a time), and the confirmed proposals recorded
through the same two steps as every upload (:func:`obligations.evidence.intake.add`).

Nothing is stored or recorded while proposing. Files whose SHA-256 is already in the evidence
store (or earlier in the same batch) are flagged and never recorded twice.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from obligations.accounts import access
from obligations.accounts.access import Principal
from obligations.errors import InvalidRequest, ServiceError, os_error_text
from obligations.evidence import intake
from obligations.evidence.bulk import grouping, readers
from obligations.evidence.bulk.matching import (
    FileFacts,
    IntakeScope,
    OrgRef,
    PersonRef,
    Proposal,
    StandingRef,
    TaskRef,
    propose,
    refuse,
)
from obligations.evidence.bulk.sources import Files
from obligations.evidence.records import EvidenceInput, EvidencePolicy, StandingTarget
from obligations.evidence.storage import BlobStore, StorageRefused, UploadLimits
from obligations.evidence.storage.detect import UploadCheck
from obligations.models import EvidenceFile, Organization, Task
from obligations.rules.catalog import Catalog
from obligations.vocabulary import OrgKind


@dataclass(frozen=True)
class IntakeRequest:
    unit_code: str
    year: int
    branch_code: str | None = None


def load_scope(
    session: Session, catalog: Catalog, request: IntakeRequest, by: Principal, today: date
) -> IntakeScope:
    """The unit's branches, the people owing its person tasks, its tasks of the year (not
    retired) and the standing evidence the catalog expects. Raises ``NotFound`` for a unit
    ``by`` cannot see, ``InvalidRequest`` for a branch not in the unit."""
    unit = access.require_unit(session, by, request.unit_code)
    branches = list(
        session.scalars(
            select(Organization)
            .where(Organization.parent_id == unit.id, Organization.kind == OrgKind.BRANCH)
            .order_by(Organization.code)
        )
    )
    refs = [OrgRef(b.code, _branch_names(b.name, unit.name)) for b in branches] or [
        OrgRef(unit.code, (unit.name,))
    ]
    if request.branch_code is not None and request.branch_code not in {r.code for r in refs}:
        known = "、".join(r.code for r in refs)
        raise InvalidRequest(f"支部 {request.branch_code} 不属于 {unit.code}；可选：{known}")
    first, last = date(request.year, 1, 1), date(request.year, 12, 31)
    tasks = session.scalars(
        select(Task)
        .options(selectinload(Task.organization), selectinload(Task.person))
        .where(
            Task.unit_id == unit.id,
            Task.retired_at.is_(None),
            Task.period_start <= last,
            Task.period_end >= first,
        )
        .order_by(Task.period_start, Task.id)
    ).all()
    people = {t.person.code: t.person.name for t in tasks if t.person is not None}
    return IntakeScope(
        unit_code=unit.code,
        year=request.year,
        today=today,
        rules=catalog.enabled_rules,
        branches=refs,
        people=[PersonRef(code, name) for code, name in sorted(people.items())],
        tasks=[_task_ref(t) for t in tasks],
        standing=[
            StandingRef(ind.item, phrase)
            for ind in catalog.indicators
            for phrase in ind.expected_evidence
        ],
        branch_code=request.branch_code,
    )


def _branch_names(name: str, unit_name: str) -> tuple[str, ...]:
    """The full name, then without the unit's own prefix (机电工程学院教工第一党支部 ->
    教工第一党支部), then 支部 for 党支部 in that shorter form."""
    prefix = 0
    while prefix < min(len(name), len(unit_name)) and name[prefix] == unit_name[prefix]:
        prefix += 1
    short = name[prefix:] if len(name) - prefix >= 4 else name
    return tuple(dict.fromkeys([name, short, short.replace("党支部", "支部")]))


def _task_ref(task: Task) -> TaskRef:
    settled = "已豁免" if task.waived_at is not None else "已完成" if task.done_on else None
    return TaskRef(
        id=task.id,
        rule_id=task.rule_id,
        org_code=task.organization.code,
        person_code=task.person.code if task.person is not None else None,
        period_key=task.period_key,
        start=task.period_start,
        end=task.period_end,
        settled=settled,
    )


def stored_record(session: Session, sha256: str) -> int | None:
    """The id of a record already holding this content, if any."""
    query = select(EvidenceFile.record_id).where(EvidenceFile.sha256 == sha256).limit(1)
    return session.scalar(query)


def propose_files(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    source: Files,
    request: IntakeRequest,
    *,
    by: Principal,
    today: date,
    limits: UploadLimits,
    progress: Callable[[str], None] | None = None,
    ocr: bool = True,
) -> Iterator[Proposal]:
    """A proposal for each file of ``source``, in name order, read one at a time (memory
    holds one file). A file the store would refuse (its type by content, its size, per
    ``limits``) gets no task and says why. ``progress`` is called with each file's name once
    it is done. With ``ocr``, photos and scanned pages are read by OCR where Tesseract is
    installed (:mod:`.ocr`; seconds per photo instead of milliseconds)."""
    with sessions() as session:
        scope = load_scope(session, catalog, request, by, today)
    seen: dict[str, str] = {}
    for file in source.files():
        if file.skipped:
            proposal = Proposal(file.name, reasons=[file.skipped])
        else:
            proposal = _propose_one(source, file.name, scope, limits, ocr)
            if proposal.sha256 in seen:
                proposal.duplicate = f"本批文件“{seen[proposal.sha256]}”"
            else:
                seen[proposal.sha256] = file.name
                with sessions() as session:
                    record_id = stored_record(session, proposal.sha256)
                if record_id is not None:
                    proposal.duplicate = f"已登记材料（编号 {record_id}）"
        if proposal.duplicate:
            proposal.reasons.append(f"内容与{proposal.duplicate}相同，不会重复登记")
        if progress is not None:
            progress(file.name)
        yield proposal


def _propose_one(
    source: Files, name: str, scope: IntakeScope, limits: UploadLimits, ocr: bool
) -> Proposal:
    try:
        data = source.read(name)
    except InvalidRequest as exc:
        return Proposal(name, reasons=[f"无法读取：{exc}"])
    except OSError as exc:
        return Proposal(name, reasons=[f"无法读取：{os_error_text(exc)}"])
    reading = readers.read(name, data, ocr=ocr)
    facts = FileFacts(
        name=name,
        text=reading.text,
        photo=reading.photo,
        taken_on=reading.taken_on,
        signed=reading.signed,
        problem=reading.problem,
        note=reading.note,
    )
    proposal = propose(facts, scope)
    proposal.sha256 = hashlib.sha256(data).hexdigest()
    try:
        check = UploadCheck(limits, name.rsplit("/", 1)[-1])
        check.feed(data)
        check.finish(lambda: io.BytesIO(data))
    except StorageRefused as exc:
        refuse(proposal, f"不能登记：{exc}")
    return proposal


@dataclass
class Applied:
    """What :func:`apply` did: record ids by file (the files of one activity share one), and
    the files not recorded with why."""

    recorded: list[tuple[str, int]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    @property
    def records(self) -> int:
        """How many records were made."""
        return len({record_id for _, record_id in self.recorded})


def apply(
    sessions: sessionmaker[Session],
    store: BlobStore,
    policy: EvidencePolicy,
    catalog: Catalog,
    source: Files,
    rows: Sequence[Proposal],
    *,
    unit_code: str,
    by: Principal,
    now: datetime,
) -> Applied:
    """Record the confirmed proposals through :func:`obligations.evidence.intake.add`, one
    record per activity (:mod:`.grouping`: same task or item, same date), each in its own
    transaction. A file whose content changed since it was proposed or that is already
    stored is listed and left out of its record; a record the checks refuse lists all its
    files."""
    done = Applied()
    rows = _branch_tasks(sessions, rows, unit_code, done)
    recorded_hashes: set[str] = set()
    for members in grouping.activities(rows):
        uploads: list[tuple[Proposal, bytes]] = []
        taken = set(recorded_hashes)  # and those of this group's earlier files
        for row in members:
            try:
                uploads.append((row, _checked_data(sessions, source, row, taken)))
            except (ServiceError, OSError) as exc:
                done.refused.append((row.file, str(exc)))
        if not uploads:
            continue
        kept = [row for row, _ in uploads]
        try:
            record_id = _record(sessions, store, policy, catalog, uploads, unit_code, by, now)
        except ServiceError as exc:
            done.refused.extend((row.file, str(exc)) for row in kept)
            continue
        recorded_hashes |= taken
        done.recorded.extend((row.file, record_id) for row in kept)
    return done


def _branch_tasks(
    sessions: sessionmaker[Session], rows: Sequence[Proposal], unit_code: str, done: Applied
) -> list[Proposal]:
    """The rows with a branch picked on the page and no task number, given the task of that
    branch (one of the unit's), rule and activity date; a row whose branch has no such task
    is refused with the reason."""
    kept: list[Proposal] = []
    with sessions() as session:
        unit_id = session.scalar(select(Organization.id).where(Organization.code == unit_code))
        for row in rows:
            if row.task_id is None and row.branch_code and row.rule_id and row.held_on:
                task = session.scalars(
                    select(Task)
                    .join(Organization, Task.organization_id == Organization.id)
                    .where(
                        Organization.code == row.branch_code,
                        Task.unit_id == unit_id,
                        Organization.parent_id == unit_id,
                        Task.rule_id == row.rule_id,
                        Task.person_id.is_(None),
                        Task.retired_at.is_(None),
                        Task.period_start <= row.held_on,
                        Task.period_end >= row.held_on,
                    )
                ).first()
                if task is None:
                    done.refused.append(
                        (row.file, f"所选支部在 {row.held_on.isoformat()} 没有对应的任务")
                    )
                    continue
                row = replace(row, task_id=task.id, ledger_item=None)
            kept.append(row)
    return kept


def _checked_data(
    sessions: sessionmaker[Session], source: Files, row: Proposal, taken: set[str]
) -> bytes:
    if row.held_on is None:
        raise InvalidRequest("缺少活动日期")
    if row.task_id is None and row.ledger_item is None:
        raise InvalidRequest("未填写任务编号或台账条目")
    data = source.read(row.file)
    digest = hashlib.sha256(data).hexdigest()
    if row.sha256 and digest != row.sha256:
        raise InvalidRequest("文件内容在生成建议后已改变，请重新生成建议")
    with sessions() as session:
        existing = stored_record(session, digest)
    if existing is not None or digest in taken:
        where = f"已登记材料（编号 {existing}）" if existing is not None else "本批已登记的文件"
        raise InvalidRequest(f"内容与{where}相同，不重复登记")
    taken.add(digest)
    return data


def _record(
    sessions: sessionmaker[Session],
    store: BlobStore,
    policy: EvidencePolicy,
    catalog: Catalog,
    uploads: Sequence[tuple[Proposal, bytes]],
    unit_code: str,
    by: Principal,
    now: datetime,
) -> int:
    """One record of the files of one activity; the title and kind from the lead file."""
    members = [row for row, _ in uploads]
    first = grouping.lead(members)
    assert first.held_on is not None  # checked by _checked_data
    target: intake.Target
    if first.task_id is not None:
        target = intake.TaskTarget(first.task_id)
    else:
        assert first.ledger_item is not None
        target = StandingTarget(unit_code, first.ledger_item, first.held_on.year)
    evidence = EvidenceInput(
        title=first.title, held_on=first.held_on, kind=first.kind,
        participants=grouping.participants(members),
    )  # fmt: skip
    files = [intake.Upload(row.file.rsplit("/", 1)[-1], io.BytesIO(data)) for row, data in uploads]
    return intake.add(
        sessions, store, policy, catalog, target=target, data=evidence, uploads=files,
        by=by, now=now,
    )  # fmt: skip
