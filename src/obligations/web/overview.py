"""The overview (the organization department's dashboard) and its table as XLSX: who is
behind, ranked and sortable; the tasks overdue this month by unit; the heatmap by month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from obligations.accounts import access
from obligations.errors import InvalidRequest
from obligations.ledger.overview_xlsx import XLSX_TYPE, overview_workbook
from obligations.rules.calendars import workday_calendar
from obligations.rules.periods import period_text
from obligations.tasks import dashboard
from obligations.tasks.listing import TaskView
from obligations.tasks.ranking import (
    DEFAULT_SORT,
    GRACE_WORKDAYS,
    HEAT_BANDS,
    Direction,
    HeatCell,
    OverdueWindow,
    SortKey,
    month_cell,
    overdue_windows,
    sort_standings,
)
from obligations.web.auth import PageUser
from obligations.web.downloads import content_disposition
from obligations.web.params import YEAR_QUERY
from obligations.web.state import WebState, state_of
from obligations.web.templating import page, percent

router = APIRouter(include_in_schema=False)

YEAR = YEAR_QUERY
# Overdue tasks listed per unit, for the units with the most of them; the rest are behind a
# link to the unit's overdue tasks (a query per unit listed: the page stays fast at 1,000,000
# tasks and short on a phone).
LISTED_PER_UNIT = 5
LISTED_UNITS = 10


@dataclass(frozen=True)
class UnitOverdue:
    """A unit's overdue tasks of a window: their number and the first of them."""

    code: str
    name: str
    total: int
    tasks: list[TaskView]


@dataclass(frozen=True)
class OverdueList:
    window: OverdueWindow
    units: list[UnitOverdue]

    @property
    def title(self) -> str:
        return f"{self.window.label}（{self.window.year}年{self.window.month}月）"

    @property
    def total(self) -> int:
        return sum(u.total for u in self.units)


def parse_sort(sort: str, direction: str) -> tuple[SortKey, Direction]:
    """The ``sort`` and ``dir`` query parameters; empty ones give :data:`DEFAULT_SORT`.

    Raises :class:`InvalidRequest` (a Chinese message naming the allowed values) for others."""
    key = DEFAULT_SORT[0] if not sort else next((k for k in SortKey if k.value == sort), None)
    if key is None:
        allowed = "、".join(f"{k.value}（{k.label}）" for k in SortKey)
        raise InvalidRequest(f"无法按“{sort}”排序；可选：{allowed}")
    if not direction:
        return key, DEFAULT_SORT[1] if not sort else key_direction(key)
    found = next((d for d in Direction if d.value == direction), None)
    if found is None:
        raise InvalidRequest(f"排序方向“{direction}”无效；可选：asc（升序）、desc（降序）")
    return key, found


def key_direction(key: SortKey) -> Direction:
    """The direction a column header first sorts in: the one that puts who is behind first
    (the lowest shares, the most missed), or the natural one (rank 1 first, units A to Z)."""
    if key in (SortKey.MISSED, SortKey.DUE_SOON, SortKey.LATE):
        return Direction.DESC
    return Direction.ASC


def _summaries(
    web: WebState, auth: PageUser, year: int, today: date
) -> list[dashboard.UnitSummary]:
    with web.sessions() as db:
        return dashboard.unit_summaries(
            db,
            year=year,
            today=today,
            due_soon_days=web.settings.due_soon_days,
            unit_ids=access.visible_unit_ids(auth.principal),
        )


def overdue_lists(
    db: Session, web: WebState, auth: PageUser, summaries: list[dashboard.UnitSummary], today: date
) -> list[OverdueList]:
    """This month's overdue tasks by unit (and last month's during the grace, see
    :func:`obligations.tasks.ranking.overdue_windows`), counted from the tallies and the first
    :data:`LISTED_PER_UNIT` of each of the :data:`LISTED_UNITS` units with the most listed."""
    calendar = workday_calendar(web.catalog)
    soon = web.settings.due_soon_days
    titles = {located.rule.id: located.rule.title for located in web.catalog.rules}
    units = {s.unit_id: s for s in summaries}
    lists = []
    for window in overdue_windows(today, lambda day: calendar.check(day)[0]):
        span = (window.first, window.last)
        counts = dashboard.overdue_counts(
            db, due_within=span, today=today, due_soon_days=soon, unit_ids=list(units)
        )
        first = dashboard.first_overdue_by_unit(
            db,
            unit_ids=sorted(counts, key=lambda u: -counts[u])[:LISTED_UNITS],
            due_within=span,
            visible=access.task_clause(auth.principal),
            today=today,
            due_soon_days=soon,
            per_unit=LISTED_PER_UNIT,
            titles=titles,
        )
        found = [
            UnitOverdue(s.code, s.name, counts[unit_id], first.get(s.code, []))
            for unit_id, s in units.items()
            if counts.get(unit_id)
        ]
        found.sort(key=lambda u: (-u.total, u.code))
        lists.append(OverdueList(window, found))
    return lists


def _sort_links(year: int, key: SortKey, direction: Direction) -> dict[SortKey, str]:
    """Each column's header link: the sorted column flips its direction, others start in
    :func:`key_direction`."""
    return {
        k: f"/?year={year}&sort={k.value}&dir="
        + (direction.flipped if k is key else key_direction(k)).value
        for k in SortKey
    }


@dataclass(frozen=True)
class HeatTd:
    """A heatmap cell as the page writes it: its class, its tooltip (empty: none), the share
    shown and the words a screen reader adds. Made here rather than in the template, which
    would look each value up again through Jinja's attribute access for each of the 360 cells
    (about a third of the overview's rendering)."""

    css: str
    title: str
    text: str
    spoken: str


def heat_td(cell: HeatCell | None, year: int, month: int) -> HeatTd:
    """The cell of ``month``: no colour and "无" when nothing was due; the current month in
    progress uncoloured; otherwise the band of its completion share."""
    if cell is None:
        return HeatTd("h-none", "", "", "无")
    o, band = cell.outcomes, cell.band
    progress = "（进行中）" if cell.in_progress else ""
    title = f"{year}年{month}月{progress}：{o.due} 项中完成 {o.done} 项，逾期未完成 {o.missed} 项"
    spoken = f"，{o.due} 项中完成 {o.done} 项" + ("，本月进行中" if cell.in_progress else "")
    return HeatTd(band.css if band else "h-now", title, percent(o.completion_rate), spoken)


@router.get("/")
def home(
    request: Request, auth: PageUser, year: int | None = YEAR, sort: str = "", dir: str = ""
) -> Response:
    """The overview for college-wide roles; others go to their unit or their own tasks."""
    web = state_of(request)
    principal = auth.principal
    if not principal.college_wide:
        with web.sessions() as db:
            units = access.visible_units(db, principal)
        target = f"/units/{units[0].code}" if units else "/my"
        return RedirectResponse(target, status_code=303)
    key, direction = parse_sort(sort, dir)
    today = web.today()
    year = year or today.year
    summaries = _summaries(web, auth, year, today)
    standings = sort_standings(dashboard.unit_standings(summaries), key, direction)
    lists: list[OverdueList] = []
    if year == today.year:
        with web.sessions() as db:
            lists = overdue_lists(db, web, auth, summaries, today)
    heat = {
        s.code: [
            heat_td(month_cell(c.outcomes if c else None, year=year, month=m, today=today), year, m)
            for m in range(1, 13)
            for c in [s.months.get(m)]
        ]
        for s in summaries
    }
    return page(
        request,
        "overview.html",
        auth,
        standings=standings,
        names={s.code: s.name for s in summaries},
        heat=heat,
        bands=HEAT_BANDS,
        overdue_lists=lists,
        grace_workdays=GRACE_WORKDAYS,
        period_text=period_text,
        year=year,
        today=today,
        sort_key=key,
        sort_dir=direction,
        sort_links=_sort_links(year, key, direction),
        sort_keys=list(SortKey),
        xlsx_url=f"/overview.xlsx?year={year}&sort={key.value}&dir={direction.value}",
    )


@router.get("/overview.xlsx")
async def overview_xlsx(
    request: Request, auth: PageUser, year: int | None = YEAR, sort: str = "", dir: str = ""
) -> Response:
    """The overview's table as an XLSX workbook, in the same order as the page."""
    web = state_of(request)
    if not auth.principal.college_wide:
        raise access.Forbidden("总览表仅供全院范围的账号下载；请在本单位页面查看本单位的任务")
    key, direction = parse_sort(sort, dir)
    today = web.today()
    year = year or today.year
    summaries = await run_in_threadpool(_summaries, web, auth, year, today)
    standings = sort_standings(dashboard.unit_standings(summaries), key, direction)
    content = overview_workbook(standings, year=year, today=today, sorted_by=(key, direction))
    name = f"{year}年度各单位完成情况.xlsx"
    return Response(
        content, media_type=XLSX_TYPE, headers={"Content-Disposition": content_disposition(name)}
    )
