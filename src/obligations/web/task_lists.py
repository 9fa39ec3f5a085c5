"""What the task-list pages share: their query parameters (filters, title search, sort, page),
read and checked once, and the links that keep them from page to page.

The lists themselves come from :mod:`obligations.tasks.listing`; the urgency order and the
paging rules from :mod:`obligations.tasks.urgency`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Query

from obligations.errors import InvalidRequest
from obligations.rules.catalog import Catalog
from obligations.tasks.listing import SORTS, TaskOrder
from obligations.tasks.status import TaskStatus
from obligations.tasks.urgency import Urgency, matching_rules

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
