"""Evidence added the way the doors add it (the two intake steps), inside a test's session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from obligations.accounts.access import operator
from obligations.evidence import intake, records
from obligations.evidence.intake import Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy, StandingTarget
from obligations.evidence.storage import BlobStore
from obligations.evidence.storage.base import InUse
from obligations.models import EvidenceFile, EvidenceRecord
from obligations.rules.catalog import Catalog


def _in_use(session: Session) -> InUse:
    """References as the test's own (uncommitted) transaction sees them."""
    return lambda sha256: (
        session.scalar(select(EvidenceFile.id).where(EvidenceFile.sha256 == sha256).limit(1))
        is not None
    )


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
    """Store the uploads (step 1), record them against the task as the operator ``actor``
    (step 2), settle: the files are gone again if the record was refused."""
    in_use = _in_use(session)
    stored = intake.store_uploads(store, policy.limits, uploads, in_use=in_use)
    recorded = False
    try:
        record = records.add_to_task(
            session, policy, task_id=task_id, data=data, files=stored, by=operator(actor), now=now
        )
        recorded = True
    finally:
        intake.settle(stored, recorded=recorded, in_use=in_use)
    return record


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
    """As :func:`add_to_task`, for standing evidence of a unit's ledger item."""
    in_use = _in_use(session)
    stored = intake.store_uploads(store, policy.limits, uploads, in_use=in_use)
    recorded = False
    try:
        record = records.add_standing(
            session, policy, catalog, target=target, data=data, files=stored,
            by=operator(actor), now=now,
        )  # fmt: skip
        recorded = True
    finally:
        intake.settle(stored, recorded=recorded, in_use=in_use)
    return record
