"""`obligations verify`: every stored file against the database, and crash leftovers.

Reports files a record points to that are missing or whose content no longer hashes to its
name (corrupt), and stored objects no record points to (orphans: a process killed between
storing a file and recording it, or an upload refused half-way). Temporary files of killed
uploads, and temporary files a killed process left in the data directory's ``tmp/`` (a bundle
download cut off), are removed; orphans are removed once older than the grace period, so an
upload still between its two steps is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from obligations.evidence.storage import BlobStore, Leftover
from obligations.models import EvidenceFile, EvidenceRecord
from obligations.scratch import sweep_scratch

# An upload stores its files and then commits its record within seconds; an hour leaves room
# for the slowest link without keeping real leftovers long.
GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class FileProblem:
    sha256: str
    records: tuple[int, ...]  # evidence records that point to the object
    names: tuple[str, ...]


@dataclass
class VerifyReport:
    checked: int = 0
    missing: list[FileProblem] = field(default_factory=list)
    corrupt: list[FileProblem] = field(default_factory=list)
    orphans_recent: list[str] = field(default_factory=list)  # maybe an upload in progress
    orphans_removed: list[str] = field(default_factory=list)
    leftovers_removed: list[Leftover] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No recorded file is missing or corrupt. (Leftovers and old orphans were removed;
        a recent orphan may belong to an upload in progress and is judged on a later run.)"""
        return not (self.missing or self.corrupt)


def verify(
    session: Session,
    store: BlobStore,
    *,
    now: datetime,
    grace: timedelta = GRACE,
    scratch: Path | None = None,
) -> VerifyReport:
    """Check every recorded file; sweep leftovers of the store and of the ``scratch`` folder
    (the data directory's ``tmp/``) older than ``grace``."""
    report = VerifyReport()
    report.leftovers_removed = store.sweep_leftovers(older_than=grace, now=now)
    if scratch is not None:
        report.leftovers_removed += [
            Leftover(left.name, left.size, left.modified)
            for left in sweep_scratch(scratch, older_than=grace, now=now)
        ]
    referenced: dict[str, tuple[list[int], list[str]]] = {}
    rows = session.execute(
        select(EvidenceFile.sha256, EvidenceRecord.id, EvidenceFile.original_name)
        .join(EvidenceRecord, EvidenceFile.record_id == EvidenceRecord.id)
        .order_by(EvidenceFile.sha256, EvidenceRecord.id)
    )
    for sha256, record_id, name in rows:
        records, names = referenced.setdefault(sha256, ([], []))
        records.append(record_id)
        names.append(name)
    for sha256, (records, names) in referenced.items():
        report.checked += 1
        problem = FileProblem(sha256, tuple(dict.fromkeys(records)), tuple(dict.fromkeys(names)))
        if not store.exists(sha256):
            report.missing.append(problem)
        elif not store.verify(sha256):
            report.corrupt.append(problem)
    for sha256 in store.iter_blobs():
        if sha256 in referenced:
            continue
        old = now - store.stored_at(sha256) >= grace
        if old and not _referenced_now(session, sha256) and store.discard(sha256):
            report.orphans_removed.append(sha256)
        else:  # recent, or held by an upload about to record it
            report.orphans_recent.append(sha256)
    return report


def _referenced_now(session: Session, sha256: str) -> bool:
    """Re-check just before removing: a record committed since the listing keeps its file."""
    session.expire_all()
    return session.scalar(select(EvidenceFile.id).where(EvidenceFile.sha256 == sha256)) is not None
