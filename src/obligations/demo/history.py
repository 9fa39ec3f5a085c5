"""Recording the demo college's past year through the real services.

After the demo is loaded and its tasks generated, :func:`record_history` stores a few small
files once (:mod:`obligations.demo.samples`) and records what :func:`plan_history` decided,
each at the instant it happened: records (their tasks' completion dates and the tallies
follow), reviews, a returned record, a waiver; then the standing evidence, figures and notes
of the year's ledger (:mod:`obligations.demo.ledger_notes`). Every change goes through the
service a person would use and is audited as theirs, so state, tallies, ledger and audit log
agree. Deterministic for a given day.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from obligations.accounts.access import Principal, operator
from obligations.accounts.users import principal_of
from obligations.demo.ledger_notes import record_ledger_notes
from obligations.demo.plan import HistoryPlan, PlannedRecord, TaskFacts, plan_history
from obligations.demo.samples import sample_files
from obligations.evidence import intake, records
from obligations.evidence.intake import StoredUpload, TaskTarget, Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy
from obligations.evidence.storage import BlobStore
from obligations.evidence.storage.base import InUse
from obligations.models import EvidenceRecord, Organization, Task, User
from obligations.rules.catalog import Catalog
from obligations.tasks.waivers import waive
from obligations.timeutil import LOCAL_TZ
from obligations.vocabulary import EvidenceKind

RETURNED_IN = "U01-B01"  # the demo branch secretary's branch: the returned record is theirs
# Who records each organization's evidence (the demo's accounts); everyone else's is entered
# by the organization department's operator.
_RECORDERS = {"U01-B01": "u01-b01", "U01": "u01"}
OPERATOR = "示例数据录入"


@dataclass(frozen=True)
class HistoryReport:
    """What was recorded: task records (of which pending and returned), waivers, standing
    records (pending ones not counted in ``pending``)."""

    records: int
    pending: int
    returned: int
    waived: int
    standing: int


def record_history(
    sessions: sessionmaker[Session],
    store: BlobStore,
    policy: EvidencePolicy,
    catalog: Catalog,
    *,
    today: date,
) -> HistoryReport | None:
    """Record the year before ``today`` in one transaction; the counts of what was made, or
    ``None`` if the data directory holds evidence already (``init --demo`` run again).

    The sample files are stored first and released once the records are committed (withdrawn
    if anything fails, like any upload). Raises what the services raise (none for the
    shipped demo)."""
    with sessions() as session:
        if session.scalar(select(EvidenceRecord.id).limit(1)) is not None:
            return None
    in_use = intake.referenced_in(sessions)
    files = _store_samples(store, policy, in_use)
    recorded = False
    try:
        with sessions.begin() as session:
            report = _record_all(session, policy, catalog, files, today)
        recorded = True
    finally:
        intake.settle(
            [f for kind in files.values() for f in kind], recorded=recorded, in_use=in_use
        )
    return report


def _store_samples(
    store: BlobStore, policy: EvidencePolicy, in_use: InUse
) -> dict[EvidenceKind, list[StoredUpload]]:
    stored: dict[EvidenceKind, list[StoredUpload]] = {}
    for kind, samples in sample_files().items():
        uploads = [Upload(s.name, io.BytesIO(s.content)) for s in samples]
        stored[kind] = intake.store_uploads(store, policy.limits, uploads, in_use=in_use)
    return stored


def _record_all(
    session: Session,
    policy: EvidencePolicy,
    catalog: Catalog,
    files: dict[EvidenceKind, list[StoredUpload]],
    today: date,
) -> HistoryReport:
    plan = plan_history(_task_facts(session, catalog), today, returned_in=RETURNED_IN)
    people = _Principals(session)
    # The tasks recorded against, loaded at once and held: the session's identity map keeps
    # only objects in use, and the services look each task up again (add, then review).
    held = list(session.scalars(select(Task).where(Task.id.in_({r.task_id for r in plan.records}))))
    for planned in sorted(plan.records, key=lambda r: (r.recorded_on, r.task_id)):
        _make_record(session, policy, catalog, planned, files, people)
    del held
    if plan.waiver is not None:
        waiver = plan.waiver
        waive(
            session,
            task_id=waiver.task_id,
            reason=waiver.reason,
            by=people.admin,
            now=_instant(waiver.on, 10),
        )
    standing = record_ledger_notes(
        session,
        policy,
        catalog,
        files=files,
        today=today,
        by=people.for_unit,
        reviewer=people.admin,
    )
    return _report(plan, standing)


def _make_record(
    session: Session,
    policy: EvidencePolicy,
    catalog: Catalog,
    planned: PlannedRecord,
    files: dict[EvidenceKind, list[StoredUpload]],
    people: _Principals,
) -> None:
    data = EvidenceInput(
        title=planned.title,
        held_on=planned.held_on,
        kind=planned.kind,
        participants=planned.participants,
        hours=planned.hours,
    )
    record = intake.record(
        session,
        policy,
        catalog,
        target=TaskTarget(planned.task_id),
        data=data,
        files=files[planned.kind],
        by=people.recorder(planned.organization_code),
        now=_instant(planned.recorded_on, 16),
    )
    if planned.reviewed_on is None:
        return
    records.review(
        session,
        policy,
        record_id=record.id,
        accept=planned.returned_reason is None,
        reason=planned.returned_reason,
        by=people.admin,
        now=_instant(planned.reviewed_on, 9),
    )


def _task_facts(session: Session, catalog: Catalog) -> list[TaskFacts]:
    rules = {rule.id: rule for rule in catalog.enabled_rules}
    query = (
        select(
            Task.id,
            Task.rule_id,
            Task.scope_key,
            Organization.code,
            Task.period_key,
            Task.period_start,
            Task.period_end,
            Task.due_on,
            Task.min_count,
        )
        .join(Organization, Organization.id == Task.organization_id)
        .where(Task.retired_at.is_(None), Task.rule_id.in_(rules))
        .order_by(Task.id)
    )
    return [
        TaskFacts(
            task_id,
            rule_id,
            rules[rule_id].title,
            scope,
            code,
            period,
            start,
            end,
            due,
            count,
            tuple(rules[rule_id].evidence_kinds),
        )
        for task_id, rule_id, scope, code, period, start, end, due, count in session.execute(query)
    ]


class _Principals:
    """Who acts: the demo's accounts for their own organizations, the administrator for
    reviews and waivers, the operator for the other organizations."""

    def __init__(self, session: Session) -> None:
        users = {u.username: u for u in session.scalars(select(User))}
        self._by_name = {name: principal_of(session, user) for name, user in users.items()}
        self.admin = self._by_name.get("admin") or operator(OPERATOR)
        self._operator = operator(OPERATOR)

    def recorder(self, organization_code: str) -> Principal:
        name = _RECORDERS.get(organization_code)
        return self._by_name.get(name, self._operator) if name else self._operator

    def for_unit(self, unit_code: str) -> Principal:
        return self.recorder(unit_code)


def _instant(day: date, hour: int) -> datetime:
    """``hour`` o'clock local time on ``day``, as a UTC instant."""
    return datetime.combine(day, time(hour), LOCAL_TZ).astimezone(UTC)


def _report(plan: HistoryPlan, standing: int) -> HistoryReport:
    made: Sequence[PlannedRecord] = plan.records
    return HistoryReport(
        records=len(made),
        pending=sum(1 for r in made if r.reviewed_on is None),
        returned=sum(1 for r in made if r.returned_reason is not None),
        waived=int(plan.waiver is not None),
        standing=standing,
    )
