"""A task: its facts, evidence and files; upload, review, withdraw, waive."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from obligations.accounts import access
from obligations.errors import InvalidRequest, OutOfSpace, ServiceError
from obligations.evidence import records as evidence
from obligations.evidence.storage import verified_chunks
from obligations.evidence.storage.limits import format_size
from obligations.models import Organization, Person, Task
from obligations.tasks import waivers
from obligations.tasks.state import recorded_on_by_task, state_of
from obligations.vocabulary import EvidenceKind
from obligations.web.auth import PageAuth, PageUser
from obligations.web.downloads import content_disposition
from obligations.web.errors import status_for
from obligations.web.params import Position, RowId
from obligations.web.state import WebState
from obligations.web.state import state_of as web_state
from obligations.web.templating import page
from obligations.web.uploads import upload_to_task

router = APIRouter(include_in_schema=False)
CsrfField = Annotated[str, Form(max_length=200)]
KEPT_FIELDS = ("title", "held_on", "kind", "participants", "hours", "notes")
ReasonField = Annotated[str, Form(max_length=2000)]


def task_context(db: Session, web: WebState, auth: PageAuth, task: Task) -> dict[str, Any]:
    principal = auth.principal
    recorded = recorded_on_by_task(db, [task.id]).get(task.id, [])
    today = web.today()
    status = state_of(task, recorded, today=today, due_soon_days=web.settings.due_soon_days)
    limits = web.evidence_policy.limits
    kind_default = EvidenceKind.MINUTES
    try:
        rule = web.catalog.rule(task.rule_id)
        title, rule_text = rule.title, rule.description
        kind_default = rule.evidence_kinds[0] if rule.evidence_kinds else kind_default
    except KeyError:
        title, rule_text = task.rule_id, None
    try:
        item = web.catalog.item(task.ledger_item)
    except KeyError:
        item = None
    records = evidence.list_records(db, task_id=task.id)
    unit = db.get(Organization, task.unit_id)
    return {
        "task": task,
        "status": status,
        "title": title,
        "rule_text": rule_text,
        "item": item,
        "records": records,
        "done_count": len(recorded),
        "unit": unit,
        "unit_link": unit is not None and access.can_see_unit(principal, unit.id),
        "org": db.get(Organization, task.organization_id),
        "person": db.get(Person, task.person_id) if task.person_id else None,
        "can_add": access.can_add_evidence(principal, task) and task.retired_at is None,
        "can_review": access.can_review(principal, task.unit_id)
        and web.evidence_policy.review_enabled,
        "can_withdraw": any(access.can_withdraw(principal, r, task) for r in records[:1]),
        "can_waive": access.can_waive(principal, task),
        "kinds": list(EvidenceKind),
        "max_size": format_size(limits.max_bytes),
        "max_bytes": limits.max_bytes,
        "allowed": limits.allowed_text,
        "accept": limits.accept,
        "camera_accept": limits.camera_accept,
        # Today, when the activity may be held today (a photo taken now), else left to choose.
        "held_on_default": today if task.period_start <= today <= task.period_end else "",
        "kind_default": kind_default.value,
    }


@router.get("/tasks/{task_id}")
def task_page(request: Request, auth: PageUser, task_id: RowId, message: str = "") -> Response:
    web = web_state(request)
    with web.sessions() as db:
        task = access.require_task(db, auth.principal, task_id)
        context = task_context(db, web, auth, task)
    return page(request, "task.html", auth, message=message[:200], **context)


def _back(task_id: RowId, message: str) -> Response:
    from urllib.parse import quote

    return RedirectResponse(f"/tasks/{task_id}?message={quote(message)}", status_code=303)


@router.post("/tasks/{task_id}/evidence")
async def upload(request: Request, auth: PageUser, task_id: RowId) -> Response:
    """A refused upload (a bad field, a refused file, a full disk) answers with the task page,
    the message above it and what was typed kept in the form (files must be chosen again)."""
    web = web_state(request)
    typed: dict[str, str] = {}
    try:
        await upload_to_task(request, web, auth.principal, task_id, csrf=auth.csrf, fields=typed)
    except (InvalidRequest, OutOfSpace) as exc:
        kept = {name: value for name, value in typed.items() if name in KEPT_FIELDS}
        return refused(request, auth, task_id, exc, kept)
    return _back(task_id, "材料已登记")


def refused(
    request: Request, auth: PageAuth, task_id: int, exc: ServiceError, typed: dict[str, Any]
) -> Response:
    """The task page again with the refusal's message above it and what was typed kept in
    the form it came from (``typed``: the upload's fields, or ``waive_reason``, or
    ``record_id`` with ``review_reason`` or ``withdraw_reason``)."""
    web = web_state(request)
    with web.sessions() as db:
        task = access.require_task(db, auth.principal, task_id)
        context = task_context(db, web, auth, task)
    status = status_for(exc)
    return page(
        request, "task.html", auth, status_code=status, error=str(exc), form=typed, **context
    )


def _task_of_record(request: Request, auth: PageAuth, record_id: int) -> int | None:
    with web_state(request).sessions() as db:
        return access.require_record(db, auth.principal, record_id).task_id


@router.post("/evidence/{record_id}/review")
def review(
    request: Request,
    auth: PageUser,
    record_id: RowId,
    csrf_token: CsrfField = "",
    decision: Annotated[str, Form(max_length=10)] = "",
    reason: ReasonField = "",
) -> Response:
    """A refused decision (a return without a reason) answers with the task page, the message
    on the record and the reason as typed; nothing is changed."""
    auth.check_csrf(csrf_token)
    web = web_state(request)
    try:
        with web.sessions.begin() as db:
            record = evidence.review(
                db,
                web.evidence_policy,
                record_id=record_id,
                accept=decision == "accept",
                reason=reason or None,
                by=auth.principal,
                now=web.now(),
            )
            task_id = record.task_id
    except InvalidRequest as exc:
        with web.sessions() as db:
            task_id = access.require_record(db, auth.principal, record_id).task_id
            if task_id is None:
                raise
            task = access.require_task(db, auth.principal, task_id)
            context = task_context(db, web, auth, task)
        refused = {"record_id": record_id, "message": str(exc), "reason": reason}
        return page(request, "task.html", auth, status_code=400, review_error=refused, **context)
    return _back(task_id, "审核结果已保存") if task_id else RedirectResponse("/", 303)


@router.post("/evidence/{record_id}/withdraw")
def withdraw(
    request: Request,
    auth: PageUser,
    record_id: RowId,
    csrf_token: CsrfField = "",
    reason: ReasonField = "",
) -> Response:
    auth.check_csrf(csrf_token)
    web = web_state(request)
    try:
        with web.sessions.begin() as db:
            record = evidence.withdraw(
                db, record_id=record_id, reason=reason, by=auth.principal, now=web.now()
            )
            task_id = record.task_id
    except InvalidRequest as exc:
        task_id = _task_of_record(request, auth, record_id)
        if task_id is None:
            raise
        typed = {"record_id": record_id, "withdraw_reason": reason}
        return refused(request, auth, task_id, exc, typed)
    return _back(task_id, "材料已撤回") if task_id else RedirectResponse("/", 303)


@router.post("/tasks/{task_id}/waive")
def waive(
    request: Request,
    auth: PageUser,
    task_id: RowId,
    csrf_token: CsrfField = "",
    reason: ReasonField = "",
) -> Response:
    auth.check_csrf(csrf_token)
    web = web_state(request)
    try:
        with web.sessions.begin() as db:
            waivers.waive(db, task_id=task_id, reason=reason, by=auth.principal, now=web.now())
    except InvalidRequest as exc:
        return refused(request, auth, task_id, exc, {"waive_reason": reason})
    return _back(task_id, "任务已豁免")


@router.post("/tasks/{task_id}/unwaive")
def unwaive(
    request: Request, auth: PageUser, task_id: RowId, csrf_token: CsrfField = ""
) -> Response:
    auth.check_csrf(csrf_token)
    web = web_state(request)
    with web.sessions.begin() as db:
        waivers.unwaive(db, task_id=task_id, by=auth.principal, now=web.now())
    return _back(task_id, "已撤销豁免")


def file_response(web: WebState, db: Session, record_id: RowId, position: Position) -> Response:
    """Stream one evidence file under its original name (the caller checked access)."""
    record = evidence.get_record(db, record_id)
    file = evidence.find_file(record, str(position))
    chunks = verified_chunks(web.store, file.sha256, name=file.original_name)
    return StreamingResponse(
        chunks,
        media_type=file.media_type,
        headers={
            "Content-Disposition": content_disposition(file.original_name),
            "Content-Length": str(file.size),
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/evidence/{record_id}/files/{position}")
def download(request: Request, auth: PageUser, record_id: RowId, position: Position) -> Response:
    web = web_state(request)
    with web.sessions() as db:
        access.require_record(db, auth.principal, record_id)
        return file_response(web, db, record_id, position)
