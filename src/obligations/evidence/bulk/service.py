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
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from obligations.accounts import access
from obligations.accounts.access import Principal
from obligations.errors import InvalidRequest, ServiceError
from obligations.evidence import intake
from obligations.evidence.bulk import readers
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
from obligations.evidence.bulk.sources import Source
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
    source: Source,
    request: IntakeRequest,
    *,
    by: Principal,
    today: date,
    limits: UploadLimits,
    progress: Callable[[str], None] | None = None,
) -> Iterator[Proposal]:
    """A proposal for each file of ``source``, in name order, read one at a time (memory
    holds one file). A file the store would refuse (its type by content, its size, per
    ``limits``) gets no task and says why. ``progress`` is called with each file's name once
    it is done."""
    with sessions() as session:
        scope = load_scope(session, catalog, request, by, today)
    seen: dict[str, str] = {}
    for file in source.files():
        if file.skipped:
            proposal = Proposal(file.name, reasons=[file.skipped])
        else:
            proposal = _propose_one(source, file.name, scope, limits)
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


def _propose_one(source: Source, name: str, scope: IntakeScope, limits: UploadLimits) -> Proposal:
    try:
        data = source.read(name)
    except (InvalidRequest, OSError) as exc:
        return Proposal(name, reasons=[f"无法读取：{exc}"])
    reading = readers.read(name, data)
    facts = FileFacts(
        name=name,
        text=reading.text,
        photo=reading.photo,
        taken_on=reading.taken_on,
        signed=reading.signed,
        problem=reading.problem,
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
    """What :func:`apply` did: record ids by file, and the files not recorded with why."""

    recorded: list[tuple[str, int]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def apply(
    sessions: sessionmaker[Session],
    store: BlobStore,
    policy: EvidencePolicy,
    catalog: Catalog,
    source: Source,
    rows: Sequence[Proposal],
    *,
    unit_code: str,
    by: Principal,
    now: datetime,
) -> Applied:
    """Record each confirmed proposal (one record per file, in its own transaction) through
    :func:`obligations.evidence.intake.add`; a file whose content changed since it was
    proposed, is already stored, or that the record's checks refuse is listed, not recorded."""
    done = Applied()
    recorded_hashes: set[str] = set()
    for row in rows:
        try:
            record_id = _apply_one(
                sessions, store, policy, catalog, source, row, unit_code, by, now, recorded_hashes
            )
        except ServiceError as exc:
            done.refused.append((row.file, str(exc)))
            continue
        done.recorded.append((row.file, record_id))
    return done


def _apply_one(
    sessions: sessionmaker[Session],
    store: BlobStore,
    policy: EvidencePolicy,
    catalog: Catalog,
    source: Source,
    row: Proposal,
    unit_code: str,
    by: Principal,
    now: datetime,
    recorded_hashes: set[str],
) -> int:
    if row.held_on is None:
        raise InvalidRequest("缺少活动日期")
    data = source.read(row.file)
    digest = hashlib.sha256(data).hexdigest()
    if row.sha256 and digest != row.sha256:
        raise InvalidRequest("文件内容在生成建议后已改变，请重新生成建议")
    with sessions() as session:
        existing = stored_record(session, digest)
    if existing is not None or digest in recorded_hashes:
        where = f"已登记材料（编号 {existing}）" if existing is not None else "本批已登记的文件"
        raise InvalidRequest(f"内容与{where}相同，不重复登记")
    target: intake.Target
    if row.task_id is not None:
        target = intake.TaskTarget(row.task_id)
    elif row.ledger_item is not None:
        target = StandingTarget(unit_code, row.ledger_item, row.held_on.year)
    else:
        raise InvalidRequest("未填写任务编号或台账条目")
    evidence = EvidenceInput(
        title=row.title, held_on=row.held_on, kind=row.kind, participants=row.participants
    )
    upload = intake.Upload(row.file.rsplit("/", 1)[-1], io.BytesIO(data))
    record_id = intake.add(
        sessions, store, policy, catalog, target=target, data=evidence, uploads=[upload],
        by=by, now=now,
    )  # fmt: skip
    recorded_hashes.add(digest)
    return record_id
