"""What the task-list pages share: their query parameters (filters, title search, sort, page),
read and checked once, and the links that keep them from page to page.

The lists themselves come from :mod:`obligations.tasks.listing`; the urgency order and the
paging rules from :mod:`obligations.tasks.urgency`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from obligations.errors import InvalidRequest
from obligations.rules.catalog import Catalog
from obligations.tasks import listing
from obligations.tasks.listing import SORTS, TaskFilter, TaskOrder, TaskView
from obligations.tasks.status import TaskStatus
from obligations.tasks.urgency import (
    ItemGroup,
    Segments,
    Urgency,
    band_window,
    fold,
    fold_page,
    matching_rules,
    pack_groups,
    page_count,
)

ALL_STATES = "all"  # the state filter's "every state" (the default of "我的任务" is what is owed)
OWED = (TaskStatus.OPEN, TaskStatus.DUE_SOON, TaskStatus.OVERDUE)
FOLD_ROWS = 50  # older overdue tasks shown inside the fold; a link lists them all


@dataclass(frozen=True)
class ListQuery:
    """A task list's filters as typed in its form ("" when not given)."""

    state: str
    item: str
    branch: str
    period: str
    q: str
    sort: TaskOrder
    urgency: Urgency | None
    page: int

    @property
    def folds(self) -> bool:
        """Whether the older overdue tasks are folded under a count: in the urgency order,
        unless a band was asked for."""
        return self.sort is TaskOrder.URGENCY and self.urgency is None

    @property
    def refined(self) -> bool:
        """Whether anything beyond the search is set (the form then shows its filters)."""
        chosen = (self.state, self.item, self.branch, self.period, self.urgency)
        return any(chosen) or self.sort is not TaskOrder.URGENCY

    def statuses(self, default: tuple[TaskStatus, ...] = ()) -> list[TaskStatus]:
        """The states asked for: one, every one ("all"), else ``default``."""
        if self.state == ALL_STATES:
            return []
        if not self.state:
            return list(default)
        return [TaskStatus(self.state)]

    def rule_ids(self, catalog: Catalog) -> frozenset[str] | None:
        """The rules whose title matches the search; None when there is no search."""
        if not self.q.strip():
            return None
        return matching_rules({r.rule.id: r.rule.title for r in catalog.rules}, self.q)

    def item_ids(self, catalog: Catalog) -> list[str] | None:
        if not self.item:
            return None
        if self.item not in {i.id for i in catalog.items}:
            raise InvalidRequest(f"没有编号为 {self.item} 的台账条目，请从列表中选择")
        return [self.item]

    def url(self, path: str, *, page: int, **changes: object) -> str:
        """``path`` with these filters (and ``changes``) and page ``page``."""
        values: dict[str, object] = {
            "state": self.state,
            "item": self.item,
            "branch": self.branch,
            "period": self.period,
            "q": self.q,
            "sort": "" if self.sort is TaskOrder.URGENCY else self.sort.value,
            "urgency": self.urgency.value if self.urgency else "",
            **changes,
            "page": page if page > 1 else "",
        }
        query = urlencode({k: v for k, v in values.items() if v not in ("", None)})
        return f"{path}?{query}" if query else path


E = TypeVar("E", TaskOrder, Urgency)


def _choice(value: str, allowed: dict[str, E], what: str) -> E:
    try:
        return allowed[value]
    except KeyError:
        names = "、".join(f"{k}（{v.label}）" for k, v in allowed.items())
        raise InvalidRequest(f"未知的{what} {value}，可选：{names}") from None


def list_query(
    state: Annotated[str, Query(max_length=20)] = "",
    item: Annotated[str, Query(max_length=8)] = "",
    branch: Annotated[str, Query(max_length=64)] = "",
    period: Annotated[str, Query(max_length=32)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    sort: Annotated[str, Query(max_length=20)] = "",
    urgency: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> ListQuery:
    """The list parameters of a page request, checked: an unknown state, sort or band is a
    Chinese message naming what is allowed."""
    if state and state != ALL_STATES and state not in {s.value for s in TaskStatus}:
        names = "、".join(f"{s.value}（{s.label}）" for s in TaskStatus)
        raise InvalidRequest(f"未知的任务状态 {state}，可选：all（全部）、{names}")
    return ListQuery(
        state=state,
        item=item.strip(),
        branch=branch,
        period=period.strip(),
        q=q.strip(),
        sort=_choice(sort, {o.value: o for o in SORTS}, "排序方式") if sort else TaskOrder.URGENCY,
        urgency=_choice(urgency, {u.value: u for u in Urgency}, "紧急程度") if urgency else None,
        page=page,
    )


ListParams = Annotated[ListQuery, Depends(list_query)]


FLAT_ROWS = 100  # rows a page of a flat list (我的任务, one item of a unit)
GROUP_ROWS = 100  # rows (a fold shown as a link counting one) a page of item groups
FOLD_INLINE = 20  # a group's fold lists its tasks up to this many, else links to them


def flat_page(
    db: Session,
    where: TaskFilter,
    params: ListQuery,
    counts: Mapping[Urgency, int],
    path: str,
    *,
    today: date,
    soon: int,
    titles: dict[str, str],
    year: int | None = None,
) -> dict[str, Any]:
    """The template values of one page of a flat list whose bands hold ``counts`` tasks: in
    the urgency order, band by band along the due date index, the older overdue folded (on the
    page of the last current or upcoming task) with their first :data:`FOLD_ROWS` shown."""
    older = counts.get(Urgency.OLDER, 0) if params.folds else 0
    listed = {u: n for u, n in counts.items() if not (params.folds and u is Urgency.OLDER)}
    before = listed.get(Urgency.NOW, 0) + listed.get(Urgency.UPCOMING, 0)
    total = sum(listed.values())
    pages = page_count(total, FLAT_ROWS)
    number = min(params.page, pages)

    def rows(order: TaskOrder, bands: Mapping[Urgency, int], limit: int, offset: int) -> Any:
        if order is TaskOrder.URGENCY:
            return listing.list_urgent(
                db, where, counts=bands, today=today, due_soon_days=soon,
                limit=limit, offset=offset, titles=titles,
            )  # fmt: skip
        return listing.list_tasks(
            db, where, today=today, due_soon_days=soon, order=order,
            limit=limit, offset=offset, titles=titles,
        )  # fmt: skip

    found = rows(params.sort, listed, FLAT_ROWS, (number - 1) * FLAT_ROWS) if total else []
    fold_here = older > 0 and number == fold_page(before, FLAT_ROWS)
    folded = rows(TaskOrder.URGENCY, {Urgency.OLDER: older}, FOLD_ROWS, 0) if fold_here else []
    segments = fold(found) if params.folds else Segments(before=found)
    extra = {"year": year} if year is not None else {}
    return {
        "flat": True,
        "segments": Segments(segments.before, folded, segments.after),
        "older": older if fold_here else 0,
        "total": total + older,
        "page_no": number,
        "pages": pages,
        "prev_url": params.url(path, page=number - 1, **extra) if number > 1 else None,
        "next_url": params.url(path, page=number + 1, **extra) if number < pages else None,
        "older_url": params.url(path, page=1, urgency=Urgency.OLDER.value, sort="", **extra),
    }


@dataclass(frozen=True)
class Fold:
    """A band of a group shown folded: its count, its tasks when few, else a link to them."""

    band: Urgency
    count: int
    rows: list[TaskView]
    url: str

    @property
    def size(self) -> int:
        """Rows it takes on a page (a link counts one)."""
        return len(self.rows) if self.rows else 1


@dataclass(frozen=True)
class GroupView:
    """An item group on the unit page: its counts, its current and upcoming tasks listed, its
    older overdue and settled ones folded."""

    group: ItemGroup
    name: str
    rows: list[TaskView]
    folds: list[Fold]


def grouped_page(
    db: Session,
    where: TaskFilter,
    params: ListQuery,
    groups: Mapping[str, ItemGroup],
    order: Sequence[str],
    names: Mapping[str, str],
    path: str,
    *,
    today: date,
    soon: int,
    titles: dict[str, str],
    year: int,
) -> dict[str, Any]:
    """The template values of one page of item groups (in ``order``), whole groups a page.

    A group lists its current and upcoming tasks and folds the older overdue and the settled
    ones: a fold of up to :data:`FOLD_INLINE` tasks lists them, a larger one links to the
    item's own flat list of that band. So a group of any size takes a bounded page, the tasks
    read are those shown (along the due date index), and every count is what the group lists
    or links to."""
    folded = (Urgency.OLDER, Urgency.SETTLED)

    def size(group: ItemGroup) -> int:
        bands = group.by_urgency
        inline = (n if n <= FOLD_INLINE else 1 for b, n in bands.items() if b in folded and n)
        return sum(n for b, n in bands.items() if b not in folded) + sum(inline)

    paged = pack_groups([size(groups[i]) for i in order], GROUP_ROWS, params.page)
    shown = list(order[paged.groups.start : paged.groups.stop])
    found: dict[str, list[TaskView]] = {item: [] for item in shown}
    queries = [(shown, (Urgency.NOW, Urgency.UPCOMING))] + [
        ([i for i in shown if 0 < groups[i].by_urgency.get(b, 0) <= FOLD_INLINE], (b,))
        for b in folded
    ]
    for items, bands in queries:
        wanted = [b for b in bands if not where.urgencies or b in where.urgencies]
        if not items or not wanted:
            continue
        # Current and upcoming tasks are both due this month or later: the current window.
        window = band_window(wanted[0], where.due_within, today)
        for row in listing.list_tasks(
            db, replace(where, ledger_items=items, urgencies=wanted, due_within=window),
            today=today, due_soon_days=soon, order=params.sort, titles=titles,
        ):  # fmt: skip
            found[row.ledger_item].append(row)
    views = []
    for item in shown:
        group, rows = groups[item], found[item]
        folds = [
            Fold(
                band,
                n,
                [r for r in rows if r.urgency is band],
                params.url(path, page=1, year=year, item=item, urgency=band.value),
            )
            for band in folded
            if (n := group.by_urgency.get(band, 0))
        ]
        current = [r for r in rows if r.urgency not in folded]
        views.append(GroupView(group, names.get(item, ""), current, folds))
    number, pages = paged.number, paged.pages
    return {
        "flat": False,
        "groups": views,
        "total": sum(g.total for g in groups.values()),
        "page_no": number,
        "pages": pages,
        "prev_url": params.url(path, page=number - 1, year=year) if number > 1 else None,
        "next_url": params.url(path, page=number + 1, year=year) if number < pages else None,
    }
