"""The JSON API under /api, authenticated by personal API tokens (Bearer).

Every endpoint calls the same service and access functions as the pages.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from obligations.accounts import access
from obligations.errors import InvalidRequest
from obligations.evidence import records as evidence
from obligations.ledger.document import LedgerDocument
from obligations.ledger.period import FIRST_YEAR, LAST_YEAR
from obligations.models import EvidenceRecord, Organization, Task
from obligations.tasks import dashboard, listing
from obligations.tasks.listing import SORTS, TaskFilter, TaskOrder, TaskView
from obligations.tasks.status import TaskStatus
from obligations.tasks.urgency import Urgency, matching_rules
from obligations.web.auth import ApiUser
from obligations.web.ledger import ledger_document_for
from obligations.web.pages_task import file_response
from obligations.web.params import Position, RowId, YearPath
from obligations.web.state import WebState, state_of
from obligations.web.uploads import upload_to_task

router = APIRouter(prefix="/api")


class ApiSort(enum.StrEnum):
    """The orders a client may ask for: those of the pages (listing.SORTS; a test checks)."""

    URGENCY = TaskOrder.URGENCY.value
    DUE = TaskOrder.DUE.value
    DUE_DESC = TaskOrder.DUE_DESC.value
    TITLE = TaskOrder.TITLE.value
    ORGANIZATION = TaskOrder.ORGANIZATION.value


class TaskOut(BaseModel):
    id: int
    rule: str
    title: str
    ledger_item: str
    organization: str
    organization_name: str
    person_name: str | None
    period_key: str
    due_on: date
    provisional: bool
    status: TaskStatus
    status_label: str
    urgency: Urgency = Field(
        description="紧急程度：now 当前（进行中、即将到期、本月逾期），upcoming 未开始，"
        "older 更早逾期（上月及更早到期仍未完成），settled 已办结"
    )
    urgency_label: str
    done_count: int
    min_count: int


class TaskPage(BaseModel):
    total: int = Field(description="符合条件的任务总数（不受 limit/offset 影响）")
    items: list[TaskOut]


class FileOut(BaseModel):
    position: int
    name: str
    size: int
    media_type: str
    url: str


class RecordOut(BaseModel):
    id: int
    task_id: int | None
    unit: str
    ledger_item: str
    year: int
    title: str
    held_on: date
    kind: str
    participants: int | None
    hours: str | None
    notes: str | None
    recorded_by: str
    recorded_at: datetime
    review_state: str
    review_reason: str | None
    withdrawn: bool
    withdrawn_reason: str | None
    files: list[FileOut]


class WithdrawIn(BaseModel):
    reason: str = Field(max_length=2000)


class ReviewIn(BaseModel):
    accept: bool
    reason: str | None = Field(default=None, max_length=2000)


class LedgerRowOut(BaseModel):
    section_id: str
    section_name: str
    item_id: str
    item_name: str
    standard_text: str
    implementation: str
    verdict: str
    gaps: str


class LedgerOut(BaseModel):
    unit: str
    unit_name: str
    year: int
    title: str
    rows: list[LedgerRowOut]


def _titles(web: WebState) -> dict[str, str]:
    return {located.rule.id: located.rule.title for located in web.catalog.rules}


def _task_out(row: TaskView, titles: dict[str, str]) -> TaskOut:
    return TaskOut(
        id=row.id,
        rule=row.rule,
        title=titles.get(row.rule, row.rule),
        ledger_item=row.ledger_item,
        organization=row.org_code,
        organization_name=row.org_name,
        person_name=row.person_name,
        period_key=row.period_key,
        due_on=row.due_on,
        provisional=row.provisional,
        status=row.status,
        status_label=row.status.label,
        urgency=row.urgency,
        urgency_label=row.urgency.label,
        done_count=row.done_count,
        min_count=row.min_count,
    )


def _record_out(record: EvidenceRecord) -> RecordOut:
    return RecordOut(
        id=record.id,
        task_id=record.task_id,
        unit=record.unit.code,
        ledger_item=record.ledger_item,
        year=record.year,
        title=record.title,
        held_on=record.held_on,
        kind=record.kind.value,
        participants=record.participants,
        hours=str(record.hours) if record.hours is not None else None,
        notes=record.notes,
        recorded_by=record.recorded_by,
        recorded_at=record.recorded_at,
        review_state=record.review_state.value,
        review_reason=record.review_reason,
        withdrawn=record.withdrawn_at is not None,
        withdrawn_reason=record.withdrawn_reason,
        files=[
            FileOut(
                position=f.position,
                name=f.original_name,
                size=f.size,
                media_type=f.media_type,
                url=f"/api/evidence/{record.id}/files/{f.position}",
            )
            for f in record.files
        ],
    )


SORT_HELP = "排序：" + "；".join(f"{o.value} {o.label}" for o in SORTS) + "。默认 urgency"


@router.get(
    "/tasks",
    response_model=TaskPage,
    summary="任务列表",
    description=(
        "可见范围内的任务，默认按紧急程度排列（与“我的任务”和单位页相同）：当前（进行中、"
        "即将到期、本月逾期，截止日期早的在前）、未开始、更早逾期（最近的在前）、已办结。"
        "筛选条件同时生效；不指定状态时不含“不再要求”的任务。"
    ),
)
def list_tasks(
    request: Request,
    principal: ApiUser,
    unit: str | None = Query(default=None, max_length=64, description="单位编号"),
    branch: str | None = Query(
        default=None, max_length=64, description="承担任务的组织编号（支部或单位本身）"
    ),
    item: str | None = Query(default=None, max_length=8, description="台账条目编号，如 1.2"),
    period: str | None = Query(default=None, max_length=32, description="周期，如 2026-11"),
    q: str | None = Query(default=None, max_length=100, description="按任务名称搜索"),
    status: Annotated[list[TaskStatus] | None, Query(description="状态，可重复")] = None,
    urgency: Annotated[list[Urgency] | None, Query(description="紧急程度，可重复")] = None,
    year: int | None = Query(
        default=None, ge=FIRST_YEAR, le=LAST_YEAR, description="截止日期所在年份"
    ),
    sort: Annotated[ApiSort, Query(description=SORT_HELP)] = ApiSort.URGENCY,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=10_000_000),
) -> TaskPage:
    web = state_of(request)
    titles = _titles(web)
    if item is not None and item not in {i.id for i in web.catalog.items}:
        raise InvalidRequest(f"没有编号为 {item} 的台账条目")
    with web.sessions() as db:
        where = TaskFilter(
            unit_id=_org_id(db, unit),
            branch_id=_org_id(db, branch),
            period_key=period or None,
            ledger_items=[item] if item is not None else None,
            rule_ids=matching_rules(titles, q) if q and q.strip() else None,
            due_within=listing.year_span(year) if year is not None else None,
            statuses=status or [],
            urgencies=urgency or [],
            visible=access.task_clause(principal),
        )
        today, soon = web.today(), web.settings.due_soon_days
        counts = dashboard.task_urgency_counts(db, where, today=today, due_soon_days=soon)
        total = sum(counts.values())
        if sort is ApiSort.URGENCY:  # band by band along the due date index
            rows = listing.list_urgent(
                db, where, counts=counts, today=today, due_soon_days=soon,
                limit=limit, offset=offset, titles=titles,
            )  # fmt: skip
        else:
            rows = listing.list_tasks(
                db, where, today=today, due_soon_days=soon, order=TaskOrder(sort.value),
                limit=limit, offset=offset, titles=titles,
            )  # fmt: skip
    return TaskPage(total=total, items=[_task_out(r, titles) for r in rows])


def _org_id(db: Session, code: str | None) -> int | None:
    """The id of the organization ``code`` (None for none given; -1, matching nothing, for
    an unknown one)."""
    if code is None:
        return None
    return db.scalar(select(Organization.id).where(Organization.code == code)) or -1


@router.get("/tasks/{task_id}", response_model=TaskOut, summary="单个任务")
def get_task(request: Request, principal: ApiUser, task_id: RowId) -> TaskOut:
    web = state_of(request)
    with web.sessions() as db:
        task = access.require_task(db, principal, task_id)
        rows = listing.list_tasks(
            db,
            TaskFilter(visible=Task.id == task.id, statuses=list(TaskStatus)),  # retired too
            today=web.today(),
            due_soon_days=web.settings.due_soon_days,
            limit=1,
        )
    return _task_out(rows[0], _titles(web))


@router.get("/tasks/{task_id}/evidence", response_model=list[RecordOut], summary="任务的佐证材料")
def task_evidence(request: Request, principal: ApiUser, task_id: RowId) -> list[RecordOut]:
    web = state_of(request)
    with web.sessions() as db:
        task = access.require_task(db, principal, task_id)
        return [_record_out(r) for r in evidence.list_records(db, task_id=task.id)]


UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["title", "held_on"],
                    "properties": {
                        "title": {"type": "string", "maxLength": 200},
                        "held_on": {"type": "string", "format": "date"},
                        "kind": {
                            "type": "string",
                            "enum": ["minutes", "sign_in", "photos", "document", "other"],
                        },
                        "participants": {"type": "integer"},
                        "hours": {"type": "string"},
                        "notes": {"type": "string"},
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            }
        },
    }
}


@router.post(
    "/tasks/{task_id}/evidence",
    response_model=RecordOut,
    status_code=201,
    summary="上传佐证材料（multipart，流式写入）",
    openapi_extra=UPLOAD_BODY,
)
async def upload(request: Request, principal: ApiUser, task_id: RowId) -> RecordOut:
    web = state_of(request)
    record_id = await upload_to_task(request, web, principal, task_id, csrf=None)
    return await run_in_threadpool(_load_record, web, principal, record_id)


def _load_record(web: WebState, principal: access.Principal, record_id: RowId) -> RecordOut:
    with web.sessions() as db:
        return _record_out(access.require_record(db, principal, record_id))


@router.get("/evidence/{record_id}", response_model=RecordOut, summary="单份佐证材料")
def get_evidence(request: Request, principal: ApiUser, record_id: RowId) -> RecordOut:
    return _load_record(state_of(request), principal, record_id)


@router.get("/evidence/{record_id}/files/{position}", summary="下载材料文件（原文件名）")
def get_file(
    request: Request, principal: ApiUser, record_id: RowId, position: Position
) -> Response:
    web = state_of(request)
    with web.sessions() as db:
        access.require_record(db, principal, record_id)
        return file_response(web, db, record_id, position)


@router.post("/evidence/{record_id}/withdraw", response_model=RecordOut, summary="撤回材料")
def withdraw(request: Request, principal: ApiUser, record_id: RowId, body: WithdrawIn) -> RecordOut:
    web = state_of(request)
    with web.sessions.begin() as db:
        evidence.withdraw(db, record_id=record_id, reason=body.reason, by=principal, now=web.now())
    return _load_record(web, principal, record_id)


@router.post("/evidence/{record_id}/review", response_model=RecordOut, summary="审核材料")
def review(request: Request, principal: ApiUser, record_id: RowId, body: ReviewIn) -> RecordOut:
    web = state_of(request)
    with web.sessions.begin() as db:
        evidence.review(
            db,
            web.evidence_policy,
            record_id=record_id,
            accept=body.accept,
            reason=body.reason,
            by=principal,
            now=web.now(),
        )
    return _load_record(web, principal, record_id)


@router.get("/units/{code}/ledger/{year}", response_model=LedgerOut, summary="单位年度台账")
def get_ledger(
    request: Request,
    principal: ApiUser,
    code: str,
    year: YearPath,
) -> LedgerOut:
    web = state_of(request)
    with web.sessions() as db:
        access.require_unit(db, principal, code)
        document: LedgerDocument = ledger_document_for(db, web.catalog, code, year, web.today())
    return LedgerOut(
        unit=code,
        unit_name=document.unit_name,
        year=year,
        title=document.title,
        rows=[
            LedgerRowOut(
                section_id=r.section_id,
                section_name=r.section_name,
                item_id=r.item_id,
                item_name=r.item_name,
                standard_text=r.standard_text,
                implementation=r.implementation,
                verdict=r.verdict.value,
                gaps=r.gaps,
            )
            for r in document.rows
        ],
    )
