"""Bulk evidence intake on the web: several files or a ZIP of a year's files uploaded on a
unit's page, read in the background while the page shows the progress, then a table of
proposals (the files of one activity grouped into one record) to correct and accept, the
accepted rows recorded.

The same services as ``obligations evidence intake`` (:mod:`obligations.evidence.bulk`). The
files are streamed into a folder of the data directory's scratch space
(``tmp/obligations-intake-<token>``, :mod:`obligations.web.intake_jobs`) with the proposals
beside them; only the user who uploaded them sees and applies them, and the folder is removed
once applied (the scratch sweep removes forgotten ones). Nothing is stored in the evidence
store or recorded before a person accepts.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from obligations.accounts import access
from obligations.accounts.access import Forbidden
from obligations.errors import InvalidRequest, NotFound, OutOfSpace
from obligations.evidence.bulk import grouping
from obligations.evidence.bulk.matching import Proposal
from obligations.evidence.bulk.service import Applied, IntakeRequest, apply, propose_files
from obligations.evidence.bulk.sources import Uploaded
from obligations.evidence.storage.limits import format_size
from obligations.models import Organization
from obligations.scratch import PREFIX, scratch_dir
from obligations.vocabulary import EvidenceKind, OrgKind, UserRole
from obligations.web import intake_jobs
from obligations.web.auth import PageAuth, PageUser
from obligations.web.intake_jobs import FILES, META, PROPOSALS
from obligations.web.state import WebState, state_of
from obligations.web.templating import page

router = APIRouter(include_in_schema=False)

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
CONFIDENT = 0.9


def _max_bytes(web: WebState) -> int:
    """A year's files (or its ZIP), all together: twenty times the single-file limit."""
    return 20 * web.evidence_policy.limits.max_bytes


def _writer_unit(
    web: WebState, auth: PageAuth, code: str
) -> tuple[Organization, list[Organization]]:
    """The unit and its branches for someone who may record evidence in it: a unit the user
    cannot see is not found (before anything else), a read-only user is refused."""
    unit, branches = _unit_and_branches(web, auth, code)
    if auth.principal.role is UserRole.VIEWER:
        raise Forbidden("只读用户不能登记佐证材料")
    return unit, branches


def _unit_and_branches(
    web: WebState, auth: PageAuth, code: str
) -> tuple[Organization, list[Organization]]:
    from sqlalchemy import select

    with web.sessions() as db:
        unit = access.require_unit(db, auth.principal, code)
        branches = list(
            db.scalars(
                select(Organization)
                .where(Organization.parent_id == unit.id, Organization.kind == OrgKind.BRANCH)
                .order_by(Organization.code)
            )
        )
        db.expunge_all()
    return unit, branches


def _form(request: Request, auth: PageAuth, web: WebState, code: str, **context: Any) -> Response:
    unit, branches = _unit_and_branches(web, auth, code)
    return page(
        request, "intake.html", auth, unit=unit, branches=branches, year=web.today().year,
        max_size=format_size(_max_bytes(web)), max_bytes=_max_bytes(web),
        kinds=list(EvidenceKind), **context,
    )  # fmt: skip


@router.get("/units/{code}/intake")
def intake_form(request: Request, auth: PageUser, code: str) -> Response:
    web = state_of(request)
    _writer_unit(web, auth, code)
    return _form(request, auth, web, code)


@router.post("/units/{code}/intake")
async def intake_upload(request: Request, auth: PageUser, code: str) -> Response:
    """Stream the files (or a ZIP) into a scratch folder of their own, check the archives
    among them, start reading them in the background and show its progress."""
    web = state_of(request)
    unit, branches = _writer_unit(web, auth, code)
    token = secrets.token_hex(16)
    folder = _folder(web, token)
    folder.mkdir(parents=True)
    try:
        fields, _names = await intake_jobs.receive_files(
            request, folder, csrf=auth.csrf, max_bytes=_max_bytes(web)
        )
        branch = fields.get("branch") or None
        if branch is not None and branch not in {b.code for b in branches}:
            raise InvalidRequest(f"{unit.name}没有编号为 {branch} 的支部，请从列表中选择")
        year = _year(fields.get("year", ""), web.today())
        meta = {"user": auth.principal.username, "unit": unit.code, "branch": branch, "year": year}
        with Uploaded(folder / FILES) as source:  # a hostile archive is refused here, whole
            total = len(source.files())
        (folder / META).write_text(json.dumps(meta), "utf-8")
        intake_jobs.start(
            folder, total, lambda progress: _propose(web, auth, folder, meta, progress), _stored
        )
    except (InvalidRequest, OutOfSpace) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        status = 507 if isinstance(exc, OutOfSpace) else 400
        return _form(request, auth, web, code, error=str(exc), status_code=status)
    return RedirectResponse(f"/units/{unit.code}/intake/{token}", status_code=303)


def _year(value: str, today: date) -> int:
    if not value:
        return today.year
    if not value.isdigit() or not 2000 <= int(value) <= today.year + 1:
        raise InvalidRequest(f"年度“{value}”无效，请填写如 {today.year} 的年份")
    return int(value)


def _folder(web: WebState, token: str) -> Path:
    if not _TOKEN.match(token):
        raise NotFound("没有这次整理的记录（可能已登记或已过期），请重新上传")
    return scratch_dir(web.settings.data_dir) / f"{PREFIX}intake-{token}"


def _meta(web: WebState, auth: PageAuth, code: str, token: str) -> tuple[Path, dict[str, Any]]:
    folder = _folder(web, token)
    try:
        meta: dict[str, Any] = json.loads((folder / META).read_text("utf-8"))
    except (OSError, ValueError):
        raise NotFound("没有这次整理的记录（可能已登记或已过期），请重新上传") from None
    if meta["user"] != auth.principal.username or meta["unit"] != code:
        raise NotFound("没有这次整理的记录（可能已登记或已过期），请重新上传")
    return folder, meta


def _propose(
    web: WebState, auth: PageAuth, folder: Path, meta: dict[str, Any], progress: Any
) -> list[Proposal]:
    request = IntakeRequest(meta["unit"], meta["year"], meta["branch"])
    with Uploaded(folder / FILES) as source:
        return list(
            propose_files(
                web.sessions, web.catalog, source, request, by=auth.principal,
                today=web.today(), limits=web.evidence_policy.limits, progress=progress,
            )
        )  # fmt: skip


def _stored(p: Proposal) -> dict[str, Any]:
    return {
        "file": p.file, "task_id": p.task_id, "rule_id": p.rule_id, "item": p.ledger_item,
        "branch": p.branch_code, "person": p.person_code, "period": p.period_key,
        "held_on": p.held_on.isoformat() if p.held_on else None, "title": p.title,
        "kind": p.kind.value, "participants": p.participants, "confidence": p.confidence,
        "reasons": p.reasons, "sha256": p.sha256, "duplicate": p.duplicate, "group": p.group,
        "ask_branch": p.ask_branch,
    }  # fmt: skip


def _loaded(row: dict[str, Any]) -> Proposal:
    return Proposal(
        file=row["file"], task_id=row["task_id"], rule_id=row["rule_id"],
        ledger_item=row["item"], branch_code=row["branch"], person_code=row["person"],
        period_key=row["period"],
        held_on=date.fromisoformat(row["held_on"]) if row["held_on"] else None,
        title=row["title"], kind=EvidenceKind(row["kind"]), participants=row["participants"],
        confidence=row["confidence"], reasons=row["reasons"], sha256=row["sha256"],
        duplicate=row["duplicate"], group=row.get("group"),
        ask_branch=row.get("ask_branch", False),
    )  # fmt: skip


@router.get("/units/{code}/intake/{token}")
def intake_proposals(request: Request, auth: PageUser, code: str, token: str) -> Response:
    web = state_of(request)
    _writer_unit(web, auth, code)
    folder, meta = _meta(web, auth, code, token)
    state = intake_jobs.status(folder)
    if state["error"]:
        shutil.rmtree(folder, ignore_errors=True)
        return _form(request, auth, web, code, error=state["error"], status_code=400)
    if not state["ready"]:
        return _form(request, auth, web, code, token=token, reading=state)
    return _table(request, auth, web, code, token, folder, meta)


def _table(
    request: Request, auth: PageAuth, web: WebState, code: str, token: str, folder: Path,
    meta: dict[str, Any], **context: Any,
) -> Response:  # fmt: skip
    rows = [_loaded(r) for r in json.loads((folder / PROPOSALS).read_text("utf-8"))]
    return _form(request, auth, web, code, token=token, proposals=rows, meta=meta,
                 confident=CONFIDENT, sizes=grouping.group_sizes(rows), **context)  # fmt: skip


@router.get("/units/{code}/intake/{token}/status")
def intake_status(request: Request, auth: PageUser, code: str, token: str) -> Response:
    """The reading's progress for the waiting page: ready, files done of total, or why not."""
    web = state_of(request)
    _writer_unit(web, auth, code)
    folder, _ = _meta(web, auth, code, token)
    return JSONResponse(intake_jobs.status(folder), headers={"Cache-Control": "no-store"})


@router.post("/units/{code}/intake/{token}")
async def intake_apply(request: Request, auth: PageUser, code: str, token: str) -> Response:
    """Record the accepted rows, as corrected: every row ticked, or with ``accept_above``
    every row of that confidence or more whatever the ticks."""
    web = state_of(request)
    _writer_unit(web, auth, code)
    folder, meta = _meta(web, auth, code, token)
    form = await request.form(max_fields=20_000)
    auth.check_csrf(str(form.get("csrf_token", "")))
    if not intake_jobs.status(folder)["ready"]:
        return RedirectResponse(f"/units/{code}/intake/{token}", status_code=303)
    stored = [_loaded(r) for r in json.loads((folder / PROPOSALS).read_text("utf-8"))]
    if form.get("accept_above"):
        chosen = [p for p in stored if _confident(p)]
    else:
        ticked = {str(v) for v in form.getlist("confirm")}
        chosen = [_corrected(p, i, form) for i, p in enumerate(stored) if str(i) in ticked]
    if not chosen:
        return _table(request, auth, web, code, token, folder, meta,
                      error="没有选中要登记的材料", status_code=400)  # fmt: skip
    done = await run_in_threadpool(_apply, web, auth, folder, meta, chosen)
    if not done.refused:
        shutil.rmtree(folder, ignore_errors=True)
    return _form(request, auth, web, code, applied=done, token=token if done.refused else None)


def _confident(p: Proposal) -> bool:
    return p.task_id is not None and not p.duplicate and p.confidence >= CONFIDENT


def _corrected(p: Proposal, i: int, form: Any) -> Proposal:
    """The row as the person corrected it on the page."""

    def field(name: str) -> str:
        return str(form.get(f"{name}_{i}", "")).strip()

    task = field("task")
    if task and not task.isdigit():
        raise InvalidRequest(f"“{p.file}”的任务编号应为数字，不是“{task}”")
    try:
        held = date.fromisoformat(field("held")) if field("held") else None
    except ValueError:
        raise InvalidRequest(f"“{p.file}”的活动日期无效：{field('held')}") from None
    count = field("participants")
    if count and not count.isdigit():
        raise InvalidRequest(f"“{p.file}”的参加人数应为整数，不是“{count}”")
    try:
        kind = EvidenceKind(field("kind") or p.kind.value)
    except ValueError:
        raise InvalidRequest(f"“{p.file}”的材料类型无效") from None
    branch = field("branch") if p.ask_branch and not task else ""
    return Proposal(
        file=p.file, task_id=int(task) if task else None, rule_id=p.rule_id,
        branch_code=branch or None, ledger_item=None if task else p.ledger_item, held_on=held,
        title=field("title") or p.title, kind=kind,
        participants=int(count) if count else None, sha256=p.sha256, confidence=p.confidence,
    )  # fmt: skip


def _apply(
    web: WebState, auth: PageAuth, folder: Path, meta: dict[str, Any], rows: list[Proposal]
) -> Applied:
    with Uploaded(folder / FILES) as source:
        return apply(
            web.sessions, web.store, web.evidence_policy, web.catalog, source, rows,
            unit_code=meta["unit"], by=auth.principal, now=web.now(),
        )  # fmt: skip
