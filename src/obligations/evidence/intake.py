"""Evidence intake in two steps, the same for the command line and the web.

1. :func:`store_uploads` (or a :class:`Receiver` fed by a streaming parser) stores each file
   once: hashed and type-checked by content as it arrives, fsynced, linked into place
   (:mod:`obligations.evidence.storage`). Nothing is copied again, so an upload needs its own
   size in free space (plus the store's small per-file overhead).
2. :func:`record` records the stored files against a task or a standing ledger item, in the
   caller's transaction.

Each stored file stays *held* until :func:`settle` is called after the transaction ended:
a recorded upload is released; a failed one withdraws the objects it wrote, unless another
upload holds them or a committed record refers to them. So a failed record never removes
content that a concurrent upload of the same file is about to record. :func:`add` runs both
steps with their own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from obligations.accounts.access import Principal
from obligations.db import full_database_refused
from obligations.errors import InvalidRequest
from obligations.evidence import records
from obligations.evidence.records import (
    EvidenceInput,
    EvidencePolicy,
    StandingTarget,
    StoredFile,
)
from obligations.evidence.storage import BlobStore, BlobWriter, UploadLimits, clean_filename
from obligations.evidence.storage.base import CHUNK_BYTES, InUse
from obligations.models import EvidenceFile, EvidenceRecord
from obligations.rules.catalog import Catalog


@dataclass(frozen=True)
class Upload:
    """One file as it arrives: the name the user gave it and its content as a stream."""

    filename: str
    stream: BinaryIO


@dataclass(frozen=True)
class TaskTarget:
    """Evidence of an activity held for a task."""

    task_id: int


Target = TaskTarget | StandingTarget


@dataclass(frozen=True)
class StoredUpload(StoredFile):
    """A file stored by step 1, held by its writer until :func:`settle`."""

    writer: BlobWriter = field(compare=False, repr=False, kw_only=True)


def referenced_in(sessions: sessionmaker[Session]) -> InUse:
    """Whether a committed record refers to a digest, asked in a fresh session each time."""

    def in_use(sha256: str) -> bool:
        with sessions() as session:
            query = (
                select(EvidenceFile.id)
                .join(EvidenceRecord, EvidenceRecord.id == EvidenceFile.record_id)
                .where(EvidenceFile.sha256 == sha256)
                .limit(1)
            )
            return session.scalar(query) is not None

    return in_use


class Receiver:
    """Step 1 fed chunk by chunk (a multipart parser's callbacks): ``begin`` a file with the
    name the user gave it, ``write`` its chunks, ``end`` it; the stored files in ``stored``.

    A refusal (``StorageRefused``, ``BadFileName``, ``InvalidRequest`` past ``MAX_FILES``)
    leaves nothing of the refused file; the caller settles the files stored before it."""

    def __init__(self, store: BlobStore, limits: UploadLimits) -> None:
        self.store, self.limits = store, limits
        self.stored: list[StoredUpload] = []
        self._name: str | None = None
        self._writer: BlobWriter | None = None

    def begin(self, filename: str) -> None:
        name = clean_filename(filename)
        if len(self.stored) >= records.MAX_FILES:
            raise InvalidRequest(f"一次最多上传 {records.MAX_FILES} 个文件")
        self._name = name
        self._writer = self.store.begin(limits=self.limits, filename=name)

    def write(self, chunk: bytes) -> None:
        assert self._writer is not None, "write before begin"
        self._writer.write(chunk)

    def end(self) -> StoredUpload:
        assert self._writer is not None and self._name is not None, "end before begin"
        writer, self._writer = self._writer, None
        blob = writer.commit()
        stored = StoredUpload(self._name, blob, writer=writer)
        self.stored.append(stored)
        return stored

    def abort(self) -> None:
        """Drop a file in progress (the stored ones stay held)."""
        if self._writer is not None:
            self._writer.abort()
            self._writer = None


def store_uploads(
    store: BlobStore, limits: UploadLimits, uploads: Iterable[Upload], *, in_use: InUse
) -> list[StoredUpload]:
    """Step 1 for streams: every file stored and held, or none (a refusal settles what this
    call stored as failed, then raises). ``in_use`` as :func:`referenced_in` gives it."""
    receiver = Receiver(store, limits)
    try:
        for upload in uploads:
            receiver.begin(upload.filename)
            while chunk := upload.stream.read(CHUNK_BYTES):
                receiver.write(chunk)
            receiver.end()
    except BaseException:
        receiver.abort()
        settle(receiver.stored, recorded=False, in_use=in_use)
        raise
    return receiver.stored


def record(
    session: Session,
    policy: EvidencePolicy,
    catalog: Catalog,
    *,
    target: Target,
    data: EvidenceInput,
    files: Sequence[StoredFile],
    by: Principal,
    now: datetime,
) -> EvidenceRecord:
    """Step 2: the record of ``files`` against ``target``, in the caller's transaction; the
    checks and refusals of :func:`records.add_to_task` and :func:`records.add_standing`."""
    if isinstance(target, TaskTarget):
        return records.add_to_task(
            session, policy, task_id=target.task_id, data=data, files=files, by=by, now=now
        )
    return records.add_standing(
        session, policy, catalog, target=target, data=data, files=files, by=by, now=now
    )


def settle(stored: Sequence[StoredUpload], *, recorded: bool, in_use: InUse) -> None:
    """After the transaction of step 2 ended: release the files if their record was
    committed; otherwise withdraw the objects this upload wrote that no other upload holds
    and no committed record refers to (the others stay, and ``verify`` removes real orphans)."""
    for upload in stored:
        if recorded:
            upload.writer.release()
        else:
            upload.writer.withdraw(in_use)


def add(
    sessions: sessionmaker[Session],
    store: BlobStore,
    policy: EvidencePolicy,
    catalog: Catalog,
    *,
    target: Target,
    data: EvidenceInput,
    uploads: Sequence[Upload],
    by: Principal,
    now: datetime,
) -> int:
    """Both steps, step 2 in a transaction of its own; the new record's id. The fields are
    checked before anything is stored; any refusal leaves nothing of this upload behind."""
    records.checked_input(data, len(uploads))
    in_use = referenced_in(sessions)
    stored = store_uploads(store, policy.limits, uploads, in_use=in_use)
    recorded = False
    try:
        with full_database_refused(), sessions.begin() as session:
            new = record(
                session, policy, catalog, target=target, data=data, files=stored, by=by, now=now
            )
            record_id = new.id
        recorded = True
    finally:
        settle(stored, recorded=recorded, in_use=in_use)
    return record_id
