"""Overview (all units), a unit's tasks, and the signed-in person's own tasks."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from obligations.accounts import access
from obligations.errors import InvalidRequest
from obligations.models import Organization
from obligations.tasks import dashboard, listing
from obligations.tasks.listing import SORTS, TaskFilter, TaskOrder
from obligations.tasks.status import TaskStatus
from obligations.tasks.urgency import ItemGroup, Urgency, order_groups
from obligations.web.auth import PageUser
from obligations.web.params import YEAR_QUERY
from obligations.web.state import WebState, state_of
from obligations.web.task_lists import (
    ALL_STATES,
    FLAT_ROWS,
    OWED,
    ListParams,
    flat_page,
    grouped_page,
)
from obligations.web.templating import page

router = APIRouter(include_in_schema=False)

YEAR = YEAR_QUERY


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
    """A unit's tasks of a year grouped by ledger item, whole groups a page (one item: a flat
    list): in the urgency order, the items with something due now come first and open on it;
    the band counts above link to each band."""
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
        tallied = branch_id is None and not params.period and where.rule_ids is None

        def groups_in(urgencies: list[Urgency]) -> dict[str, ItemGroup]:
            if tallied:  # the whole unit: its item tallies say
                return dashboard.item_groups(
                    db, unit_id=unit.id, year=year, today=today, due_soon_days=soon,
                    statuses=where.statuses, urgencies=urgencies,
                    ledger_items=where.ledger_items,
                )  # fmt: skip
            return dashboard.task_item_groups(
                db, replace(where, urgencies=urgencies), today=today, due_soon_days=soon
            )

        groups = groups_in(list(where.urgencies))
        order = order_groups(
            {item: g.order for item, g in groups.items()},
            [i.id for s in sections for i in s.items],
            by_urgency=params.sort is TaskOrder.URGENCY,
        )
        path = f"/units/{unit.code}"
        named = titles(web)
        if params.item:  # one item: a flat list, paged like 我的任务
            of_item = groups[params.item].by_urgency if params.item in groups else {}
            listed = flat_page(
                db, where, params, of_item, path, today=today, soon=soon, titles=named, year=year
            )
        else:
            names = {i.id: i.name for i in web.catalog.items}
            listed = grouped_page(
                db, where, params, groups, order, names, path,
                today=today, soon=soon, titles=named, year=year,
            )  # fmt: skip
        unfiltered = tallied and not (where.statuses or where.urgencies or where.ledger_items)
        counts = (
            {item: dashboard.Counts(dict(g.by_status)) for item, g in groups.items()}
            if unfiltered  # the same tallies, already read
            else dashboard.item_counts(
                db, unit_id=unit.id, year=year, today=today, due_soon_days=soon
            )
        )
        periods = listing.period_keys(
            db, TaskFilter(unit_id=unit.id, due_within=listing.year_span(year))
        )
        every = groups_in([]).values() if params.urgency else groups.values()
        bands = {u: sum(g.by_urgency.get(u, 0) for g in every) for u in Urgency}
    met = sum(1 for c in counts.values() if c.done and not c[TaskStatus.OVERDUE])
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
        all_bands_url=params.url(path, page=1, year=year, urgency=""),
        bands=[
            (u, n, params.url(path, page=1, year=year, urgency=u.value)) for u, n in bands.items()
        ],
        met=met,
        item_total=len(web.catalog.items),
        item_name=next((i.name for i in web.catalog.items if i.id == params.item), ""),
        **listed,
        **_list_context(web),
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
        listed = flat_page(
            db, where, params, counts, "/my", today=today, soon=soon, titles=titles(state)
        )
        periods = (  # an account without a person sees every task: no options to list
            listing.period_keys(
                db, replace(where, period_key=None, due_within=listing.year_span(today.year))
            )
            if principal.person_id is not None
            else []
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
        page_size=FLAT_ROWS,
        **listed,
        **_list_context(state),
    )


def _items(web: WebState) -> list[tuple[str, str]]:
    return [(item.id, item.name) for item in web.catalog.items]


def _list_context(web: WebState) -> dict[str, Any]:
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
