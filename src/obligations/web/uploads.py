"""Multipart uploads streamed straight into the evidence store.

The body is parsed as it streams (:mod:`obligations.web.multipart`); each file part goes to
step 1 of the evidence intake (:class:`obligations.evidence.intake.Receiver`), which checks the
size limit, the type and the name as the bytes arrive, so an oversize upload is refused (413)
as soon as it passes the limit, and nothing of a refused upload stays behind.

The stored files are then recorded by step 2 (:func:`obligations.evidence.intake.record`), the
same two steps the CLI takes: each file is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import anyio
from fastapi import Request

from obligations.accounts import access
from obligations.accounts.access import Principal
from obligations.db import full_database_refused
from obligations.errors import InvalidRequest
from obligations.evidence import intake
from obligations.evidence.intake import Receiver, StoredUpload, TaskTarget
from obligations.evidence.records import EvidenceInput
from obligations.evidence.storage import BadFileName
from obligations.vocabulary import EvidenceKind
from obligations.web.multipart import FormParts, feed
from obligations.web.state import WebState


@dataclass
class ParsedForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[StoredUpload] = field(default_factory=list)


class _Collector(FormParts):
    """Text fields into memory (capped), files into the store as they arrive."""

    def __init__(self, state: WebState, csrf: str | None, fields: dict[str, str]) -> None:
        super().__init__(csrf)
        self.fields = fields  # the caller's: what was typed survives a refusal
        self.receiver = Receiver(state.store, state.evidence_policy.limits)
        self.form = ParsedForm(fields=self.fields, files=self.receiver.stored)

    def file_begins(self, raw_name: bytes) -> None:
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            raise BadFileName("文件名的编码无法识别，请改用 UTF-8 文件名") from None
        self.receiver.begin(name)

    def file_data(self, chunk: bytes) -> None:
        self.receiver.write(chunk)

    def file_ends(self) -> None:
        self.receiver.end()


async def parse_upload(
    request: Request, state: WebState, *, csrf: str | None, fields: dict[str, str] | None = None
) -> ParsedForm:
    """Stream a multipart body into the store (step 1; the files stay held until settled).
    With ``csrf`` given, the form's CSRF field must come before any file (the page's form puts
    it first) and match. The text fields go into ``fields`` as they arrive (if given, so that
    a page can show them again after a refusal)."""
    collector = _Collector(state, csrf, {} if fields is None else fields)
    try:
        await feed(request, collector)
    except BaseException:
        collector.receiver.abort()
        await _settle(state, collector.form.files, recorded=False)
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
        known = "、".join(k.label for k in EvidenceKind)
        raise InvalidRequest(f"材料类型无效，应为以下之一：{known}") from None
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
    request: Request,
    state: WebState,
    principal: Principal,
    task_id: int,
    *,
    csrf: str | None,
    fields: dict[str, str] | None = None,
) -> int:
    """Stream the files (step 1), record the evidence (step 2); the new record's id. Access
    is checked before the body is read (so a refused user uploads nothing) and by step 2.
    ``fields`` as :func:`parse_upload` fills it."""
    with state.sessions() as db:
        task = access.require_task(db, principal, task_id)
        access.require_can_add_evidence(principal, task)
    form = await parse_upload(request, state, csrf=csrf, fields=fields)
    recorded = False
    try:
        record_id = await anyio.to_thread.run_sync(_record, state, principal, task_id, form)
        recorded = True
    finally:
        await _settle(state, form.files, recorded=recorded)
    return record_id


def _record(state: WebState, principal: Principal, task_id: int, form: ParsedForm) -> int:
    data = evidence_input(form.fields)
    with full_database_refused(), state.sessions.begin() as db:
        record = intake.record(
            db,
            state.evidence_policy,
            state.catalog,
            target=TaskTarget(task_id),
            data=data,
            files=form.files,
            by=principal,
            now=state.now(),
        )
        return record.id


async def _settle(state: WebState, files: list[StoredUpload], *, recorded: bool) -> None:
    """Step 1's files released or withdrawn, even when the request is being cancelled."""
    if files:
        in_use = intake.referenced_in(state.sessions)
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(
                lambda: intake.settle(files, recorded=recorded, in_use=in_use)
            )
