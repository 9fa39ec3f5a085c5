"""The printed ledger keeps each cell to what a department reads and signs: 落实情况 within
:data:`CELL_BUDGET`, 存在的主要差距及措施 within :data:`GAPS_BUDGET`, a long list of gaps told as
counts naming the worst offenders (the counts adding up to the detail, kept whole in the
差距明细 annex of the XLSX, the HTML and the bundle), the measure always last and whole."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from tests.demo_support import DEMO_NOW
from tests.helpers import shipped_catalog
from tests.ledger_scenarios import MISSING_WORDS
from tests.test_demo_history import session_of

from obligations.ledger.document import GAP_ANNEX, LedgerDocument, Verdict
from obligations.ledger.facts import RuleFacts, TaskFact
from obligations.ledger.gap_summary import Shortfall, missed_summary
from obligations.ledger.items import CELL_BUDGET, GAPS_BUDGET, NO_MEASURES, SEE_ANNEX
from obligations.ledger.period import calendar_year
from obligations.ledger.periodic import compose_rule
from obligations.ledger.render_html import render_html
from obligations.ledger.render_xlsx import render_xlsx
from obligations.ledger.service import compose_unit_ledger
from obligations.rules.schema import Scope
from obligations.tasks.status import TaskStatus
from obligations.timeutil import local_date

MAX_DEADLINES = 3  # a gaps cell listing more late registrations than this is a dump


@pytest.fixture(scope="module")
def demo_ledger(demo_with_history: tuple[Path, list[str]]) -> LedgerDocument:
    """U01's 2026 ledger of the demo college, made on the demo's day."""
    with session_of(demo_with_history[0]) as session:
        return compose_unit_ledger(
            session,
            shipped_catalog(),
            unit_code="U01",
            period=calendar_year(2026),
            today=local_date(DEMO_NOW),
        ).document


def test_every_cell_of_the_demo_ledger_keeps_to_its_print_budget(
    demo_ledger: LedgerDocument,
) -> None:
    over = {
        row.item_id: (len(row.implementation), len(row.gaps))
        for row in demo_ledger.rows
        if len(row.implementation) > CELL_BUDGET or len(row.gaps) > GAPS_BUDGET
    }
    assert over == {}
    met_yet_missing = [
        row.item_id
        for row in demo_ledger.rows
        if row.verdict is Verdict.MET and any(word in row.gaps for word in MISSING_WORDS)
    ]
    assert met_yet_missing == []


def test_the_demos_branch_life_is_summarised_not_listed(demo_ledger: LedgerDocument) -> None:
    row = next(row for row in demo_ledger.rows if row.item_id == "4.3")
    assert row.gap_details, "the 4.3 gaps of the demo are long enough to be summarised"
    assert len(re.findall("截止", row.gaps)) <= MAX_DEADLINES
    assert SEE_ANNEX in row.gaps
    assert row.gaps.splitlines()[-1].startswith("措施：") or row.gaps.endswith(NO_MEASURES)
    assert "支部委员会会议未开展" in row.gaps


def test_the_summarys_counts_add_up_to_the_detail(demo_ledger: LedgerDocument) -> None:
    row = next(row for row in demo_ledger.rows if row.item_id == "4.3")
    details = row.gap_details
    late = sum(int(n) for line in details for n in re.findall(r"材料逾期登记(\d+)次", line))
    assert f"逾期登记{late}次" in row.gaps
    summarised = dict(re.findall(r"([^；（）]+?)未开展(\d+)次", row.gaps))
    assert summarised, row.gaps
    for title, count in summarised.items():
        missed = next(
            line for line in details if line.startswith(f"{title}：") and "未开展" in line
        )
        assert int(count) == len(re.findall(r"\d+月", missed)), title
    pending = re.search(r"另有(\d+)次材料待审核", row.gaps)
    said = re.search(r"其中(\d+)次材料待审核[；（]", row.implementation)
    assert pending and said and pending[1] == said[1]


def test_the_annex_holds_every_summarised_line_in_the_xlsx_and_the_html(
    demo_ledger: LedgerDocument,
) -> None:
    annex = demo_ledger.gap_annex
    assert annex
    sheet = openpyxl.load_workbook(io.BytesIO(render_xlsx(demo_ledger)))[GAP_ANNEX]
    rows = [tuple(str(c or "") for c in r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert rows == [tuple(line) for line in annex]
    html = render_html(demo_ledger)
    assert f"附表：{GAP_ANNEX}" in html and all(line in html for _, _, line in annex)


def test_yearly_tasks_not_yet_due_are_said_to_be_not_due_rather_than_not_held() -> None:
    tasks = tuple(
        TaskFact(n, "2026", date(2026, 12, 31), 1, TaskStatus.OPEN, branch=f"第{n}党支部")
        for n in range(1, 6)
    )
    part = compose_rule(RuleFacts("life", "组织生活会", Scope.BRANCH, tasks), plain_year=2026)
    assert part.brief == "所属5个党支部组织生活会5次均未到期（12月31日截止）"
    assert part.gaps == ()


def test_a_missed_summary_names_the_worst_and_its_counts_add_up() -> None:
    shortfalls = [
        Shortfall("学生第三党支部", "5月、8月、9月、11月", 4),
        Shortfall("学生第一党支部", "2月", 1),
        Shortfall("教工第二党支部", "3月", 1),
    ]
    said = missed_summary(shortfalls, verb="开展", unit_word="次", person=False, months=True)
    assert said == "未开展6次（学生第三党支部5月、8月、9月、11月，其余2个支部各1次）"
    terse = missed_summary(shortfalls, verb="开展", unit_word="次", person=False, months=False)
    assert terse == "未开展6次（学生第三党支部4次，其余2个支部各1次）"
    alone = missed_summary(shortfalls[:1], verb="开展", unit_word="次", person=False, months=True)
    assert alone == "学生第三党支部5月、8月、9月、11月未开展"


def test_the_budgets_are_the_wording_guides() -> None:
    assert (CELL_BUDGET, GAPS_BUDGET) == (200, 250)
