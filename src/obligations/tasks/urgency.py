"""What is due now comes first: a task's urgency band, and paging lists without splitting groups.

Every task list orders by urgency unless the user picks another sort. The bands, in order:

- 当前 (:attr:`Urgency.NOW`): still owed and open: 进行中, 即将到期, and 已逾期 when it fell due
  this month (overdue this period);
- 未开始 (:attr:`Urgency.UPCOMING`): not yet open;
- 更早逾期 (:attr:`Urgency.OLDER`): every other overdue task; pages fold it under a count;
- 已办结 (:attr:`Urgency.SETTLED`): done, done late, waived or no longer required.

Within the first two bands the earliest due date comes first; within the last two the most
recent. The SQL form is :func:`obligations.tasks.listing.urgency_rank` (a test checks that they
agree). The paging helpers are pure: the unit page packs whole ledger-item groups into pages
(:func:`pack_groups`), so an item never shows part of its tasks and no page is empty.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Generic, Protocol, TypeVar

from obligations.tasks.status import TaskStatus


class Urgency(enum.StrEnum):
    NOW = "now"
    UPCOMING = "upcoming"
    OLDER = "older"
    SETTLED = "settled"

    @property
    def rank(self) -> int:
        """The band's place in the urgency order (0 first)."""
        return _RANKS[self]

    @property
    def label(self) -> str:
        return URGENCY_LABELS[self]

    @classmethod
    def of_rank(cls, rank: int) -> Urgency:
        return _BY_RANK[rank]


URGENCY_LABELS = {
    Urgency.NOW: "当前",
    Urgency.UPCOMING: "未开始",
    Urgency.OLDER: "更早逾期",
    Urgency.SETTLED: "已办结",
}
_RANKS = {u: i for i, u in enumerate(Urgency)}
_BY_RANK = dict(enumerate(Urgency))


def month_start(today: date) -> date:
    """The first day of ``today``'s month: an overdue task due before it is an older one."""
    return today.replace(day=1)


def urgency_of(status: TaskStatus, *, due_on: date, today: date) -> Urgency:
    """The band of a task in ``status`` (its state on ``today``) due on ``due_on``."""
    if status.settled:
        return Urgency.SETTLED
    if status is TaskStatus.UPCOMING:
        return Urgency.UPCOMING
    if status is TaskStatus.OVERDUE and due_on < month_start(today):
        return Urgency.OLDER
    return Urgency.NOW


def band_window(
    band: Urgency, within: tuple[date, date] | None, today: date
) -> tuple[date, date] | None:
    """The due dates (first, last; inclusive) the tasks of ``band`` can have on ``today``, within
    ``within`` (None: unbounded): current ones are due this month or later, upcoming ones after
    today (a task opens on or before its due date), older overdue ones before this month."""
    first, last = within or (date.min, date.max)
    if band is Urgency.NOW:
        first = max(first, month_start(today))
    elif band is Urgency.UPCOMING:
        first = max(first, today + timedelta(days=1))
    elif band is Urgency.OLDER:
        last = min(last, month_start(today) - timedelta(days=1))
    return None if (first, last) == (date.min, date.max) else (first, last)


def urgency_key(urgency: Urgency, due_on: date) -> tuple[int, int]:
    """Sort key of a task in the urgency order, before its organization code and id: the band,
    then the due date (earliest first for current and upcoming, latest first after)."""
    day = due_on.toordinal()
    return (urgency.rank, day if urgency.rank <= Urgency.UPCOMING.rank else -day)


class Banded(Protocol):
    @property
    def urgency(self) -> Urgency: ...


T = TypeVar("T", bound=Banded)


@dataclass(frozen=True)
class Segments(Generic[T]):
    """A run of rows in urgency order cut where the older overdue ones are folded."""

    before: list[T] = field(default_factory=list)  # current and upcoming
    folded: list[T] = field(default_factory=list)  # older overdue
    after: list[T] = field(default_factory=list)  # settled


def fold(rows: Iterable[T]) -> Segments[T]:
    """Split ``rows`` into those shown before the fold (current, upcoming), in it (older
    overdue) and after it (settled), each keeping its order."""
    out: Segments[T] = Segments()
    for row in rows:
        if row.urgency is Urgency.OLDER:
            out.folded.append(row)
        elif row.urgency is Urgency.SETTLED:
            out.after.append(row)
        else:
            out.before.append(row)
    return out


@dataclass(frozen=True)
class GroupPage:
    """One page of grouped rows: the groups shown (indexes into the ordered groups), which
    page this is (from 1) and how many there are."""

    groups: range
    number: int
    pages: int


def pack_groups(sizes: Sequence[int], page_size: int, wanted: int) -> GroupPage:
    """Page ``wanted`` (from 1; past the last, the last) of groups of ``sizes`` rows packed in
    order: a page takes whole groups while it holds fewer than ``page_size`` rows (so it ends
    with at most one group's rows past that). No group is split and no page is empty while a
    group has rows; with no groups there is one empty page. Groups of no rows are skipped."""
    if page_size < 1:
        raise ValueError(f"page size must be at least 1, not {page_size}")
    pages: list[range] = []
    start, filled = 0, 0
    for index, size in enumerate(sizes):
        if size <= 0:
            if filled == 0:
                start = index + 1
            continue
        if filled >= page_size:
            pages.append(range(start, index))
            start, filled = index, 0
        filled += size
    if filled:
        pages.append(range(start, len(sizes)))
    if not pages:
        return GroupPage(range(0), 1, 1)
    number = min(max(wanted, 1), len(pages))
    return GroupPage(pages[number - 1], number, len(pages))


def page_count(rows: int, page_size: int) -> int:
    """How many pages ``rows`` rows take at ``page_size`` a page (at least one)."""
    return max(1, -(-rows // page_size))


def fold_page(before_fold: int, page_size: int) -> int:
    """The page of a flat list that shows the fold: the one holding the last of the
    ``before_fold`` rows listed above it (the first page when there are none)."""
    return page_count(before_fold, page_size)


@dataclass(frozen=True)
class GroupOrder:
    """What the urgency order of a group of tasks is decided by: its most urgent band and the
    due date that comes first in that band."""

    rank: int
    key: int

    @classmethod
    def of(cls, bands: Iterable[tuple[Urgency, date, date]]) -> GroupOrder:
        """From (band, earliest, latest due date) of each band present in the group. A settled
        band counts by the month of its latest due date (the tallies file settled tasks under
        their due month, and the order must not depend on where the counts come from)."""
        best: tuple[int, int] | None = None
        for band, earliest, latest in bands:
            day = earliest if band.rank <= Urgency.UPCOMING.rank else latest
            key = urgency_key(band, month_start(day) if band is Urgency.SETTLED else day)
            best = key if best is None or key < best else best
        return cls(*(best or (len(Urgency), 0)))


@dataclass(frozen=True)
class ItemGroup:
    """The tasks of one ledger item that a filter selects: how many in each state and in each
    band, and where the group stands in the urgency order."""

    ledger_item: str
    by_status: dict[TaskStatus, int]
    by_urgency: dict[Urgency, int]
    order: GroupOrder

    @classmethod
    def of(
        cls, item: str, rows: Iterable[tuple[TaskStatus, Urgency, int, date, date]]
    ) -> ItemGroup:
        """From (state, band, count, earliest and latest due date) rows of the item."""
        by_status: dict[TaskStatus, int] = {}
        by_urgency: dict[Urgency, int] = {}
        bands: list[tuple[Urgency, date, date]] = []
        for status, band, n, earliest, latest in rows:
            by_status[status] = by_status.get(status, 0) + n
            by_urgency[band] = by_urgency.get(band, 0) + n
            bands.append((band, earliest, latest))
        return cls(item, by_status, by_urgency, GroupOrder.of(bands))

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def done(self) -> int:
        return self[TaskStatus.DONE] + self[TaskStatus.DONE_LATE]

    def __getitem__(self, status: TaskStatus) -> int:
        return self.by_status.get(status, 0)


def order_groups(
    orders: Mapping[str, GroupOrder], catalog: Sequence[str], *, by_urgency: bool
) -> list[str]:
    """The group names of ``orders``: by urgency (catalog order breaking ties) or in catalog
    order; names the catalog does not hold come last, by name."""
    position = {name: i for i, name in enumerate(catalog)}

    def place(name: str) -> tuple[int, str]:
        return (position.get(name, len(position)), name)

    if by_urgency:
        return sorted(orders, key=lambda n: (orders[n].rank, orders[n].key, place(n)))
    return sorted(orders, key=place)


def matching_rules(titles: Mapping[str, str], text: str) -> frozenset[str]:
    """The rule ids whose title or id contains ``text`` (ignoring case and surrounding space);
    every rule for a blank ``text``."""
    needle = text.strip().casefold()
    return frozenset(
        rule for rule, title in titles.items() if needle in title.casefold() or needle in rule
    )
