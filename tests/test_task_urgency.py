"""The urgency order: what is due now first, then upcoming, then older overdue, then settled;
whole item groups a page; the SQL ordering and filters agree with the pure decision."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests import factories
from tests.helpers import shipped_catalog
from tests.test_dashboard import NOW, TODAY, decided_from_records, scatter_records

from obligations.models import Organization, Task
from obligations.tasks import dashboard, listing
from obligations.tasks.generation import generate_tasks
from obligations.tasks.listing import TaskFilter, TaskOrder, TaskView, year_span
from obligations.tasks.status import TaskStatus
from obligations.tasks.urgency import (
    GroupOrder,
    Urgency,
    fold,
    fold_page,
    matching_rules,
    order_groups,
    pack_groups,
    urgency_key,
    urgency_of,
)

NOV_25 = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("status", "due_on", "band"),
    [
        (TaskStatus.DUE_SOON, date(2026, 11, 30), Urgency.NOW),
        (TaskStatus.OPEN, date(2026, 12, 31), Urgency.NOW),
        (TaskStatus.OVERDUE, date(2026, 11, 20), Urgency.NOW),  # overdue this month
        (TaskStatus.OVERDUE, date(2026, 11, 1), Urgency.NOW),
        (TaskStatus.OVERDUE, date(2026, 10, 31), Urgency.OLDER),  # last month: folded
        (TaskStatus.UPCOMING, date(2026, 12, 31), Urgency.UPCOMING),
        (TaskStatus.DONE, date(2026, 11, 30), Urgency.SETTLED),
        (TaskStatus.DONE_LATE, date(2026, 3, 31), Urgency.SETTLED),
        (TaskStatus.WAIVED, date(2026, 3, 31), Urgency.SETTLED),
        (TaskStatus.RETIRED, date(2026, 3, 31), Urgency.SETTLED),
    ],
)
def test_each_state_falls_in_its_urgency_band(
    status: TaskStatus, due_on: date, band: Urgency
) -> None:
    assert urgency_of(status, due_on=due_on, today=NOV_25) is band


def test_current_and_upcoming_come_soonest_first_and_older_ones_latest_first() -> None:
    keys = [
        urgency_key(Urgency.NOW, date(2026, 11, 30)),
        urgency_key(Urgency.NOW, date(2026, 11, 10)),
        urgency_key(Urgency.UPCOMING, date(2026, 12, 31)),
        urgency_key(Urgency.OLDER, date(2026, 3, 31)),
        urgency_key(Urgency.OLDER, date(2026, 10, 31)),
        urgency_key(Urgency.SETTLED, date(2026, 11, 30)),
    ]
    assert sorted(range(6), key=lambda i: keys[i]) == [1, 0, 2, 4, 3, 5]


def test_pages_hold_whole_groups_in_order_and_none_is_empty() -> None:
    rng = random.Random(5)
    for _ in range(500):
        sizes = [
            rng.choice([0, 1, 2, 5, 14, 40, 99, 100, 101, 250]) for _ in range(rng.randrange(12))
        ]
        size = rng.choice([1, 10, 100])
        first = pack_groups(sizes, size, 1)
        pages = [pack_groups(sizes, size, n).groups for n in range(1, first.pages + 1)]
        listed = [i for page in pages for i in page if sizes[i] > 0]
        assert listed == [i for i, n in enumerate(sizes) if n > 0]  # each group once, in order
        for page in pages:
            rows = [sizes[i] for i in page if sizes[i]]
            if any(sizes):
                assert sum(rows) > 0  # no empty page while a group has rows
            assert sum(rows[:-1]) < size or len(rows) <= 1  # only the last group overflows
        assert pack_groups(sizes, size, first.pages + 7).number == first.pages  # clamped
    assert pack_groups([], 100, 3) == pack_groups([0, 0], 100, 1)
    assert pack_groups([], 100, 3).pages == 1


def test_a_page_takes_groups_until_it_is_full() -> None:
    # 14 rows do not fill a page of 100: the next group (98) joins it; the third starts anew.
    assert [pack_groups([14, 98, 28], 100, n).groups for n in (1, 2)] == [range(0, 2), range(2, 3)]
    assert pack_groups([250, 3], 100, 1).groups == range(0, 1)  # a big group fills a page alone
    with pytest.raises(ValueError, match="page size"):
        pack_groups([1], 0, 1)


def test_the_fold_sits_on_the_page_of_the_last_current_task() -> None:
    assert fold_page(0, 100) == 1
    assert fold_page(100, 100) == 1
    assert fold_page(101, 100) == 2


def test_groups_go_by_their_most_urgent_task_or_in_catalog_order() -> None:
    orders = {
        "1.1": GroupOrder.of([(Urgency.OLDER, date(2026, 1, 31), date(2026, 10, 31))]),
        "2.4": GroupOrder.of(
            [
                (Urgency.SETTLED, date(2026, 1, 1), date(2026, 2, 1)),
                (Urgency.NOW, date(2026, 11, 30), date(2026, 12, 31)),
            ]
        ),
        "4.3": GroupOrder.of([(Urgency.NOW, date(2026, 11, 20), date(2026, 11, 30))]),
        "x.9": GroupOrder.of([(Urgency.UPCOMING, date(2026, 12, 31), date(2026, 12, 31))]),
    }
    catalog = ["1.1", "2.4", "4.3"]
    assert order_groups(orders, catalog, by_urgency=True) == ["4.3", "2.4", "x.9", "1.1"]
    assert order_groups(orders, catalog, by_urgency=False) == ["1.1", "2.4", "4.3", "x.9"]


def test_a_title_search_matches_titles_and_ids_ignoring_case() -> None:
    titles = {"theme-party-day": "主题党日（党员活动日）", "party-group-meeting": "党小组会"}
    assert matching_rules(titles, " 党日 ") == {"theme-party-day"}
    assert matching_rules(titles, "党") == set(titles)
    assert matching_rules(titles, "GROUP") == {"party-group-meeting"}
    assert matching_rules(titles, "会议记录") == frozenset()


@pytest.fixture
def college(sessions: sessionmaker[Session]) -> dict[int, tuple[Task, TaskStatus]]:
    with sessions.begin() as session:
        factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=date(2026, 12, 31), now=NOW)
        scatter_records(session, seed=19)
    with sessions() as session:
        return decided_from_records(session)


def codes(session: Session) -> dict[int, str]:
    return {i: c for i, c in session.execute(select(Organization.id, Organization.code))}


def band_of(task: Task, status: TaskStatus) -> Urgency:
    return urgency_of(status, due_on=task.due_on, today=TODAY)


def test_the_sql_urgency_order_is_the_pure_one_and_every_band_is_present(
    sessions: sessionmaker[Session], college: dict[int, tuple[Task, TaskStatus]]
) -> None:
    with sessions() as session:
        org = codes(session)
        rows = listing.list_tasks(
            session, TaskFilter(), today=TODAY, due_soon_days=7, order=TaskOrder.URGENCY
        )
        counts = dashboard.task_urgency_counts(session, TaskFilter(), today=TODAY, due_soon_days=7)
    shown = {i: v for i, v in college.items() if v[1] is not TaskStatus.RETIRED}
    expected = sorted(
        shown,
        key=lambda i: (
            urgency_key(band_of(*shown[i]), shown[i][0].due_on),
            org[shown[i][0].organization_id],
            i,
        ),
    )
    assert [r.id for r in rows] == expected
    assert [r.urgency for r in rows] == [band_of(*shown[i]) for i in expected]
    bands = Counter(band_of(*v) for v in shown.values())
    assert set(bands) == set(Urgency)  # the world has every band
    assert counts == {u: bands[u] for u in Urgency}


def test_the_urgency_filter_and_the_other_sorts_select_and_order_as_asked(
    sessions: sessionmaker[Session], college: dict[int, tuple[Task, TaskStatus]]
) -> None:
    titles = {r.rule.id: r.rule.title for r in shipped_catalog().rules}
    with sessions() as session:
        org = codes(session)

        def listed(where: TaskFilter, order: TaskOrder = TaskOrder.URGENCY) -> list[TaskView]:
            return listing.list_tasks(
                session, where, today=TODAY, due_soon_days=7, order=order, titles=titles
            )

        for band in Urgency:
            got = {r.id for r in listed(TaskFilter(urgencies=[band]))}
            assert got == {
                i
                for i, (t, s) in college.items()
                if s is not TaskStatus.RETIRED and band_of(t, s) is band
            }, band
        by_due_desc = listed(TaskFilter(), TaskOrder.DUE_DESC)
        by_title = listed(TaskFilter(), TaskOrder.TITLE)
        by_org = listed(TaskFilter(), TaskOrder.ORGANIZATION)
        search = matching_rules(titles, "党日")
        found = listed(TaskFilter(rule_ids=search, ledger_items=["4.3"]))
        nothing = listed(TaskFilter(rule_ids=frozenset()))
    assert [(r.due_on, r.org_code) for r in by_due_desc] == sorted(
        ((r.due_on, r.org_code) for r in by_due_desc), key=lambda k: (-k[0].toordinal(), k[1])
    )
    assert [titles.get(r.rule, "") for r in by_title] == sorted(
        titles.get(r.rule, "") for r in by_title
    )
    assert [
        (org[c], d) for c, d in ((college[r.id][0].organization_id, r.due_on) for r in by_org)
    ] == sorted((org[college[r.id][0].organization_id], r.due_on) for r in by_org)
    assert found and {(r.rule, r.ledger_item) for r in found} <= {(rule, "4.3") for rule in search}
    assert nothing == []


def test_paging_a_units_item_groups_lists_each_group_whole_on_one_page(
    sessions: sessionmaker[Session], college: dict[int, tuple[Task, TaskStatus]]
) -> None:
    with sessions() as session:
        unit = session.scalars(select(Organization).where(Organization.code == "U01")).one()
        where = TaskFilter(unit_id=unit.id, due_within=year_span(2026))
        groups = dashboard.task_item_groups(session, where, today=TODAY, due_soon_days=7)
        order = order_groups({k: g.order for k, g in groups.items()}, [], by_urgency=True)
        sizes = [groups[i].total for i in order]
        first = pack_groups(sizes, 20, 1)
        pages = []
        for number in range(1, first.pages + 1):
            shown = order[pack_groups(sizes, 20, number).groups.start :][
                : len(pack_groups(sizes, 20, number).groups)
            ]
            rows = listing.list_tasks(
                session,
                TaskFilter(unit_id=unit.id, due_within=year_span(2026), ledger_items=shown),
                today=TODAY,
                due_soon_days=7,
                order=TaskOrder.URGENCY,
            )
            pages.append((shown, rows))
    expected = {
        i: (t, s)
        for i, (t, s) in college.items()
        if t.unit_id == unit.id and t.due_on.year == 2026 and s is not TaskStatus.RETIRED
    }
    assert first.pages > 2
    seen: list[int] = []
    for shown, rows in pages:
        assert rows  # never an empty page
        per_item = Counter(r.ledger_item for r in rows)
        assert per_item == {i: groups[i].total for i in shown}  # "共 N" lists N
        for item in shown:
            assert groups[item].by_status == dict(
                Counter(r.status for r in rows if r.ledger_item == item)
            )
        seen += [r.id for r in rows]
    assert sorted(seen) == sorted(expected)  # every task once
    # The first page opens on the group with the most urgent task, that task first.
    first_rows = pages[0][1]
    assert first_rows[0].urgency is Urgency.NOW
    most_urgent = min(
        expected, key=lambda i: urgency_key(band_of(*expected[i]), expected[i][0].due_on)
    )
    assert first_rows[0].due_on == expected[most_urgent][0].due_on
    segments = fold(first_rows)
    assert [r.urgency for r in segments.folded] == [Urgency.OLDER] * len(segments.folded)
    assert len(segments.before) + len(segments.folded) + len(segments.after) == len(first_rows)


def test_a_units_item_groups_from_the_tallies_are_those_of_its_tasks(
    sessions: sessionmaker[Session], college: dict[int, tuple[Task, TaskStatus]]
) -> None:
    with sessions() as session:
        unit = session.scalars(select(Organization).where(Organization.code == "U01")).one()
        cases: list[dict[str, Any]] = [
            {},
            {"statuses": [TaskStatus.OVERDUE]},
            {"statuses": [TaskStatus.RETIRED, TaskStatus.DONE]},
            {"urgencies": [Urgency.OLDER, Urgency.UPCOMING]},
            {"ledger_items": ["4.3", "2.4"]},
            {"ledger_items": []},
        ]
        for filters in cases:
            where = TaskFilter(unit_id=unit.id, due_within=year_span(2026), **filters)
            from_tasks = dashboard.task_item_groups(session, where, today=TODAY, due_soon_days=7)
            from_tallies = dashboard.item_groups(
                session, unit_id=unit.id, year=2026, today=TODAY, due_soon_days=7, **filters
            )
            assert from_tallies == from_tasks, filters
            assert from_tasks or filters == {"ledger_items": []}


def test_band_by_band_pages_and_tally_counts_match_the_one_query_order(
    sessions: sessionmaker[Session], college: dict[int, tuple[Task, TaskStatus]]
) -> None:
    with sessions() as session:
        unit = session.scalars(select(Organization).where(Organization.code == "U02")).one()
        for where, unit_ids in (
            (TaskFilter(), None),
            (TaskFilter(statuses=[TaskStatus.OVERDUE, TaskStatus.DONE]), None),
            (TaskFilter(unit_id=unit.id, urgencies=[Urgency.OLDER, Urgency.SETTLED]), {unit.id}),
        ):
            every = listing.list_tasks(
                session, where, today=TODAY, due_soon_days=7, order=TaskOrder.URGENCY
            )
            counts = dashboard.task_urgency_counts(session, where, today=TODAY, due_soon_days=7)
            tallied = dashboard.urgency_counts(
                session,
                unit_ids=unit_ids,
                today=TODAY,
                due_soon_days=7,
                statuses=where.statuses,
                urgencies=where.urgencies,
            )
            assert tallied == counts and sum(counts.values()) == len(every)
            for offset, limit in ((0, 7), (5, 40), (len(every) - 3, 10), (len(every), 5)):
                page = listing.list_urgent(
                    session,
                    where,
                    counts=counts,
                    today=TODAY,
                    due_soon_days=7,
                    limit=limit,
                    offset=offset,
                )
                assert [r.id for r in page] == [r.id for r in every[offset : offset + limit]]
