"""Overview (all units), a unit's tasks, and the signed-in person's own tasks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from obligations.accounts import access
from obligations.errors import InvalidRequest
from obligations.models import Organization
from obligations.tasks import dashboard, listing
from obligations.tasks.listing import SORTS, TaskFilter, TaskOrder, TaskView
from obligations.tasks.status import TaskStatus
from obligations.tasks.urgency import (
    Segments,
    Urgency,
    fold,
    fold_page,
    order_groups,
    pack_groups,
    page_count,
)
from obligations.web.auth import PageUser
from obligations.web.state import WebState, state_of
from obligations.web.task_lists import ALL_STATES, FOLD_ROWS, OWED, ListParams, ListQuery
from obligations.web.templating import page

router = APIRouter(include_in_schema=False)

UNIT_PAGE_ROWS = 100
MY_ROWS = 100
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


@router.get("/units/{code}")
def unit_page(
    request: Request, auth: PageUser, code: str, params: ListParams, year: int | None = YEAR
) -> Response:
    """A unit's tasks of a year grouped by ledger item, whole groups a page: in the urgency
    order, the items with something due now come first and open on it."""
    web = state_of(request)
    today = web.today()
    year = year or today.year
    soon = web.settings.due_soon_days
    sections = web.catalog.ledger.sections
    with web.sessions() as db:
        unit = access.require_unit(db, auth.principal, code)
        branches = list(
            db.scalars(
                select(Organization)
                .where(Organization.parent_id == unit.id)
                .order_by(Organization.code)
            )
        )
        branch_id = next((b.id for b in branches if b.code == params.branch), None)
        if params.branch and branch_id is None:
            raise InvalidRequest(f"{unit.name}没有编号为 {params.branch} 的支部，请从列表中选择")
        where = TaskFilter(
            unit_id=unit.id,
            branch_id=branch_id,
            due_within=listing.year_span(year),
            period_key=params.period or None,
            statuses=params.statuses(),
            ledger_items=params.item_ids(web.catalog),
            rule_ids=params.rule_ids(web.catalog),
            urgencies=[params.urgency] if params.urgency else [],
            visible=access.task_clause(auth.principal),
        )
        if branch_id is None and not params.period and where.rule_ids is None:
            groups = dashboard.item_groups(  # the whole unit: its item tallies say
                db,
                unit_id=unit.id,
                year=year,
                today=today,
                due_soon_days=soon,
                statuses=where.statuses,
                urgencies=where.urgencies,
                ledger_items=where.ledger_items,
            )
        else:
            groups = dashboard.task_item_groups(db, where, today=today, due_soon_days=soon)
        order = order_groups(
            {item: g.order for item, g in groups.items()},
            [i.id for s in sections for i in s.items],
            by_urgency=params.sort is TaskOrder.URGENCY,
        )
        paged = pack_groups([groups[i].total for i in order], UNIT_PAGE_ROWS, params.page)
        shown = order[paged.groups.start : paged.groups.stop]
        rows = (
            listing.list_tasks(
                db,
                replace(where, ledger_items=shown),
                today=today,
                due_soon_days=soon,
                order=params.sort,
                titles=titles(web),
            )
            if shown
            else []
        )
        counts = dashboard.item_counts(
            db, unit_id=unit.id, year=year, today=today, due_soon_days=soon
        )
        periods = listing.period_keys(
            db, TaskFilter(unit_id=unit.id, due_within=listing.year_span(year))
        )
        bands = (
            dashboard.task_urgency_counts(
                db, replace(where, urgencies=[]), today=today, due_soon_days=soon
            )
            if params.urgency
            else {u: sum(g.by_urgency.get(u, 0) for g in groups.values()) for u in Urgency}
        )
    grouped: dict[str, list[TaskView]] = {item: [] for item in shown}
    for row in rows:
        grouped[row.ledger_item].append(row)
    met = sum(1 for c in counts.values() if c.done and not c[TaskStatus.OVERDUE])
    path = f"/units/{unit.code}"
    number, pages = paged.number, paged.pages
    return page(
        request,
        "unit.html",
        auth,
        unit=unit,
        year=year,
        params=params,
        branches=branches,
        periods=periods,
        items=_items(web),
        groups=[(groups[i], _segments(grouped[i], params)) for i in shown],
        all_bands_url=params.url(path, page=1, year=year, urgency=""),
        bands=[
            (u, n, params.url(path, page=1, year=year, urgency=u.value)) for u, n in bands.items()
        ],
        total=sum(g.total for g in groups.values()),
        page_no=number,
        pages=pages,
        prev_url=params.url(path, page=number - 1, year=year) if number > 1 else None,
        next_url=params.url(path, page=number + 1, year=year) if number < pages else None,
        met=met,
        item_total=len(web.catalog.items),
        page_size=UNIT_PAGE_ROWS,
        **_list_context(web, params),
    )


@router.get("/my")
def my_tasks(request: Request, auth: PageUser, params: ListParams, all: bool = False) -> Response:
    """What the signed-in person owes (an account without a person: every visible task), in
    the urgency order with the older overdue folded under a count, a page at a time."""
    state = state_of(request)
    today = state.today()
    soon = state.settings.due_soon_days
    principal = auth.principal
    if all and not params.state:
        params = replace(params, state=ALL_STATES)  # the old "include done" link
    with state.sessions() as db:
        clause = (
            access.my_task_clause(db, principal, today)
            if principal.person_id is not None
            else access.task_clause(principal)
        )
        organizations = _organizations(db, principal)
        branch_id = next((o.id for o in organizations if o.code == params.branch), None)
        if params.branch and branch_id is None:
            raise InvalidRequest(f"您可见的范围内没有编号为 {params.branch} 的组织，请从列表中选择")
        where = TaskFilter(
            visible=clause,
            branch_id=branch_id,
            period_key=params.period or None,
            statuses=params.statuses(OWED),
            ledger_items=params.item_ids(state.catalog),
            rule_ids=params.rule_ids(state.catalog),
            urgencies=[params.urgency] if params.urgency else [],
        )
        whole = principal.college_wide or principal.sees_whole_unit
        plain = not (branch_id or params.period or params.item or params.q)
        counts = (
            dashboard.urgency_counts(  # every task of the units in view: their tallies say
                db,
                unit_ids=access.visible_unit_ids(principal),
                today=today,
                due_soon_days=soon,
                statuses=where.statuses,
                urgencies=where.urgencies,
            )
            if principal.person_id is None and whole and plain
            else dashboard.task_urgency_counts(db, where, today=today, due_soon_days=soon)
        )
        listed = _flat_page(db, where, params, counts, today=today, soon=soon, titles=titles(state))
        periods = listing.period_keys(
            db, replace(where, period_key=None, due_within=listing.year_span(today.year))
        )
    return page(
        request,
        "my.html",
        auth,
        params=params,
        has_person=principal.person_id is not None,
        organizations=organizations if len(organizations) > 1 else [],
        periods=periods,
        items=_items(state),
        page_size=MY_ROWS,
        **listed,
        **_list_context(state, params),
    )


def _flat_page(
    db: Session,
    where: TaskFilter,
    params: ListQuery,
    counts: dict[Urgency, int],
    *,
    today: date,
    soon: int,
    titles: dict[str, str],
) -> dict[str, Any]:
    """One page of a flat list whose bands hold ``counts`` tasks, with the fold (the older
    overdue) on the page after the current and upcoming tasks when the list folds."""
    older = counts[Urgency.OLDER] if params.folds else 0
    listed = {u: n for u, n in counts.items() if not (params.folds and u is Urgency.OLDER)}
    before = listed.get(Urgency.NOW, 0) + listed.get(Urgency.UPCOMING, 0)
    total = sum(listed.values())
    pages = page_count(total, MY_ROWS)
    number = min(params.page, pages)
    offset = (number - 1) * MY_ROWS

    def urgent(counts: dict[Urgency, int], limit: int, offset: int = 0) -> list[TaskView]:
        return listing.list_urgent(
            db,
            where,
            counts=counts,
            today=today,
            due_soon_days=soon,
            limit=limit,
            offset=offset,
            titles=titles,
        )

    if params.sort is TaskOrder.URGENCY:
        rows = urgent(listed, MY_ROWS, offset)
    else:
        rows = listing.list_tasks(
            db,
            where,
            today=today,
            due_soon_days=soon,
            order=params.sort,
            limit=MY_ROWS,
            offset=offset,
            titles=titles,
        )
    fold_here = older > 0 and number == fold_page(before, MY_ROWS)
    folded = urgent({Urgency.OLDER: older}, FOLD_ROWS) if fold_here else []
    segments = fold(rows) if params.folds else Segments(before=rows)
    return {
        "segments": Segments(segments.before, folded, segments.after),
        "older": older if fold_here else 0,
        "shown": len(rows),
        "total": total + older,
        "page_no": number,
        "pages": pages,
        "prev_url": params.url("/my", page=number - 1) if number > 1 else None,
        "next_url": params.url("/my", page=number + 1) if number < pages else None,
        "older_url": params.url("/my", page=1, urgency=Urgency.OLDER.value, sort=""),
    }


def _segments(rows: list[TaskView], params: ListQuery) -> Segments[TaskView]:
    return fold(rows) if params.folds else Segments(before=rows)


def _items(web: WebState) -> list[tuple[str, str]]:
    return [(item.id, item.name) for item in web.catalog.items]


def _list_context(web: WebState, params: ListQuery) -> dict[str, Any]:
    return {
        "titles": titles(web),
        "statuses": list(TaskStatus),
        "sorts": SORTS,
        "urgencies": list(Urgency),
        "all_states": ALL_STATES,
        "older_label": Urgency.OLDER.label,
    }


def _organizations(db: Session, principal: access.Principal) -> list[Organization]:
    """The organizations whose tasks the principal may see, for the organization filter."""
    query = select(Organization).where(Organization.parent_id.is_not(None))
    if principal.branch_id is not None and not principal.sees_whole_unit:
        query = query.where(Organization.id == principal.branch_id)
    elif principal.unit_id is not None:
        unit = principal.unit_id
        query = query.where(or_(Organization.id == unit, Organization.parent_id == unit))
    elif not principal.college_wide:
        return []
    return list(db.scalars(query.order_by(Organization.code)))
