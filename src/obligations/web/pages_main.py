"""Overview (all units), a unit's tasks, and the signed-in person's own tasks."""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from obligations.accounts import access
from obligations.errors import InvalidRequest
from obligations.models import Organization
from obligations.tasks import dashboard, listing
from obligations.tasks.listing import TaskFilter, TaskOrder, TaskView
from obligations.tasks.status import TaskStatus
from obligations.web.auth import PageUser
from obligations.web.state import WebState, state_of
from obligations.web.templating import page

router = APIRouter(include_in_schema=False)

UNIT_PAGE_ROWS = 100
MY_ROWS = 300
YEAR = Query(default=None, ge=2000, le=2100)


def titles(state: WebState) -> dict[str, str]:
    return {located.rule.id: located.rule.title for located in state.catalog.rules}


@router.get("/")
def home(request: Request, auth: PageUser, year: int | None = YEAR) -> Response:
    state = state_of(request)
    principal = auth.principal
    if not principal.college_wide:
        with state.sessions() as db:
            units = access.visible_units(db, principal)
        target = f"/units/{units[0].code}" if units else "/my"
        return RedirectResponse(target, status_code=303)
    today = state.today()
    year = year or today.year
    with state.sessions() as db:
        summaries = dashboard.unit_summaries(
            db,
            year=year,
            today=today,
            due_soon_days=state.settings.due_soon_days,
            unit_ids=access.visible_unit_ids(principal),
        )
    return page(request, "overview.html", auth, summaries=summaries, year=year, today=today)


def _statuses(state: str | None) -> list[TaskStatus]:
    if not state:
        return []
    try:
        return [TaskStatus(state)]
    except ValueError:
        raise InvalidRequest(f"未知的任务状态 {state}") from None


@router.get("/units/{code}")
def unit_page(
    request: Request,
    auth: PageUser,
    code: str,
    year: int | None = YEAR,
    state: str | None = Query(default=None, max_length=20),
    period: str | None = Query(default=None, max_length=32),
    branch: str | None = Query(default=None, max_length=64),
    page_no: int = Query(default=1, ge=1, le=100_000, alias="page"),
) -> Response:
    web = state_of(request)
    today = web.today()
    year = year or today.year
    soon = web.settings.due_soon_days
    with web.sessions() as db:
        unit = access.require_unit(db, auth.principal, code)
        branches = list(
            db.scalars(
                select(Organization)
                .where(Organization.parent_id == unit.id)
                .order_by(Organization.code)
            )
        )
        branch_id = next((b.id for b in branches if b.code == branch), None)
        if branch and branch_id is None:
            raise InvalidRequest(f"{unit.name}没有编号为 {branch} 的支部")
        where = TaskFilter(
            unit_id=unit.id,
            branch_id=branch_id,
            due_within=listing.year_span(year),
            period_key=period or None,
            statuses=_statuses(state),
            visible=access.task_clause(auth.principal),
        )
        counts = dashboard.item_counts(
            db, unit_id=unit.id, year=year, today=today, due_soon_days=soon
        )
        if branch_id is None and not period:  # the whole unit: its item counts say
            total = dashboard.total_of(counts, where.statuses)
        else:
            total = listing.count_tasks(db, where, today=today, due_soon_days=soon)
        rows = listing.list_tasks(  # along the (unit, due date) index: any unit's size
            db,
            where,
            today=today,
            due_soon_days=soon,
            order=TaskOrder.INDEX,
            limit=UNIT_PAGE_ROWS,
            offset=(page_no - 1) * UNIT_PAGE_ROWS,
        )
        periods = listing.period_keys(
            db, TaskFilter(unit_id=unit.id, due_within=listing.year_span(year))
        )
    grouped: dict[str, list[TaskView]] = defaultdict(list)
    for row in rows:
        grouped[row.ledger_item].append(row)
    met = sum(1 for c in counts.values() if c.done and not c[TaskStatus.OVERDUE])
    filters = {"year": year, "state": state or "", "period": period or "", "branch": branch or ""}
    pages = max(1, -(-total // UNIT_PAGE_ROWS))
    return page(
        request,
        "unit.html",
        auth,
        unit=unit,
        year=year,
        state=state or "",
        period=period or "",
        branch=branch or "",
        branches=branches,
        periods=periods,
        statuses=list(TaskStatus),
        sections=web.catalog.ledger.sections,
        counts=counts,
        grouped=grouped,
        titles=titles(web),
        total=total,
        shown=len(rows),
        page_no=page_no,
        pages=pages,
        prev_url=_page_url(unit.code, filters, page_no - 1) if page_no > 1 else None,
        next_url=_page_url(unit.code, filters, page_no + 1) if page_no < pages else None,
        met=met,
        item_total=len(web.catalog.items),
        page_size=UNIT_PAGE_ROWS,
    )


def _page_url(code: str, filters: dict[str, object], page_no: int) -> str:
    query = {k: v for k, v in filters.items() if v != ""}
    return f"/units/{code}?{urlencode({**query, 'page': page_no})}"


@router.get("/my")
def my_tasks(request: Request, auth: PageUser, all: bool = False) -> Response:
    state = state_of(request)
    today = state.today()
    principal = auth.principal
    shown = [] if all else [TaskStatus.OPEN, TaskStatus.DUE_SOON, TaskStatus.OVERDUE]
    with state.sessions() as db:
        clause = (
            access.my_task_clause(db, principal, today)
            if principal.person_id is not None
            else access.task_clause(principal)
        )
        where = TaskFilter(visible=clause, statuses=shown)
        soon = state.settings.due_soon_days
        total = listing.count_tasks(db, where, today=today, due_soon_days=soon)
        rows = listing.list_tasks(db, where, today=today, due_soon_days=soon, limit=MY_ROWS)
    return page(
        request,
        "my.html",
        auth,
        rows=rows,
        total=total,
        titles=titles(state),
        show_all=all,
        has_person=principal.person_id is not None,
    )
