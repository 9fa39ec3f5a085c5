"""Multipart uploads streamed straight into the evidence store.

The body is parsed as it streams (:mod:`obligations.web.multipart`); each file part goes to a
``BlobWriter``
that checks the size limit, the type and the name as the bytes arrive, so an oversize upload
is refused (413) as soon as it passes the limit, and nothing of a refused upload stays behind.

The files are then recorded through :func:`obligations.evidence.records.add_to_task`, the
same function the CLI calls (it finds the content already stored and only re-reads it).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date

import anyio
from fastapi import Request
from sqlalchemy import select

from obligations.accounts import access
from obligations.accounts.access import Principal
from obligations.errors import InvalidRequest
from obligations.evidence import records as evidence
from obligations.evidence.records import EvidenceInput, Upload
from obligations.evidence.storage import (
    BadFileName,
    BlobStore,
    BlobWriter,
    StoredBlob,
    clean_filename,
)
from obligations.models import EvidenceFile, EvidenceRecord
from obligations.vocabulary import EvidenceKind
from obligations.web.multipart import FormParts, feed
from obligations.web.state import WebState


@dataclass
class ParsedForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, StoredBlob]] = field(default_factory=list)

    def new_blobs(self) -> list[StoredBlob]:
        return [blob for _, blob in self.files if not blob.already_stored]


class _Collector(FormParts):
    """Text fields into memory (capped), files into the store as they arrive."""

    def __init__(self, store: BlobStore, state: WebState, csrf: str | None) -> None:
        super().__init__(csrf)
        self.store, self.state = store, state
        self.form = ParsedForm(fields=self.fields)
        self._filename: str | None = None
        self._writer: BlobWriter | None = None

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.abort()
            self._writer = None

    def file_begins(self, raw_name: bytes) -> None:
        try:
            name = clean_filename(raw_name.decode("utf-8"))
        except UnicodeDecodeError:
            raise BadFileName("文件名的编码无法识别，请改用 UTF-8 文件名") from None
        if len(self.form.files) >= evidence.MAX_FILES:
            raise InvalidRequest(f"一次最多上传 {evidence.MAX_FILES} 个文件")
        self._filename = name
        self._writer = self.store.begin(limits=self.state.evidence_policy.limits, filename=name)

    def file_data(self, chunk: bytes) -> None:
        assert self._writer is not None
        self._writer.write(chunk)

    def file_ends(self) -> None:
        assert self._writer is not None and self._filename is not None
        blob = self._writer.commit()
        self._writer = None
        self.form.files.append((self._filename, blob))


async def parse_upload(request: Request, state: WebState, *, csrf: str | None) -> ParsedForm:
    """Stream a multipart body into the store. With ``csrf`` given, the form's CSRF field must
    come before any file (the page's form puts it first) and match."""
    collector = _Collector(state.store, state, csrf)
    try:
        await feed(request, collector)
    except BaseException:
        collector.abort()
        _discard_unreferenced(state, collector.form.new_blobs())
        raise
    return collector.form


def evidence_input(fields: dict[str, str]) -> EvidenceInput:
    """The form's text fields as the service's input; malformed values are refused."""
    try:
        held_on = date.fromisoformat(fields.get("held_on", "").strip())
    except ValueError:
        raise InvalidRequest("请填写活动日期（格式：2026-11-20）") from None
    try:
        kind = EvidenceKind(fields.get("kind") or EvidenceKind.MINUTES.value)
    except ValueError:
        known = "、".join(k.value for k in EvidenceKind)
        raise InvalidRequest(f"材料类型应为：{known}") from None
    participants_text = fields.get("participants", "").strip()
    try:
        participants = int(participants_text) if participants_text else None
    except ValueError:
        raise InvalidRequest("参加人数应为整数") from None
    return EvidenceInput(
        title=fields.get("title", ""),
        held_on=held_on,
        kind=kind,
        participants=participants,
        hours=fields.get("hours", "").strip() or None,
        notes=fields.get("notes") or None,
    )


async def upload_to_task(
    request: Request, state: WebState, principal: Principal, task_id: int, *, csrf: str | None
) -> int:
    """Check access, stream the files, record the evidence; the new record's id."""
    with state.sessions() as db:
        task = access.require_task(db, principal, task_id)
        access.require_can_add_evidence(principal, task)
    form = await parse_upload(request, state, csrf=csrf)
    try:
        return await anyio.to_thread.run_sync(_record, state, principal, task_id, form)
    except BaseException:
        _discard_unreferenced(state, form.new_blobs())
        raise


def _record(state: WebState, principal: Principal, task_id: int, form: ParsedForm) -> int:
    data = evidence_input(form.fields)
    with state.sessions.begin() as db:
        task = access.require_task(db, principal, task_id)  # checked again in this transaction
        access.require_can_add_evidence(principal, task)
        opened = [(name, state.store.open(blob.sha256)) for name, blob in form.files]
        try:
            record = evidence.add_to_task(
                db,
                state.store,
                state.evidence_policy,
                task_id=task_id,
                data=data,
                uploads=[Upload(name, stream) for name, stream in opened],
                actor=principal.actor,
                now=state.now(),
            )
        finally:
            for _, stream in opened:
                stream.close()
        return record.id


def _discard_unreferenced(state: WebState, blobs: list[StoredBlob]) -> None:
    """Remove blobs this request wrote that no record points to."""
    if not blobs:
        return
    with state.sessions() as db:
        for blob in blobs:
            used = db.scalar(
                select(EvidenceFile.id)
                .join(EvidenceRecord, EvidenceRecord.id == EvidenceFile.record_id)
                .where(EvidenceFile.sha256 == blob.sha256)
            )
            if used is None:
                with contextlib.suppress(OSError):
                    state.store.discard(blob.sha256)
