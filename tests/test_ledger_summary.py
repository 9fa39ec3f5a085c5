"""The college summary: shares of tasks done on time, late and missed, verdict counts, a rank;
as Excel (with a bar chart and print setup), HTML (a bar per unit, no script) and PDF."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
from sqlalchemy.orm import Session, sessionmaker
from tests.ledger_scenarios import TODAY, add_record, build_unit, tasks_due
from tests.test_ledger_render import ARTIFACTS, filled_document

from obligations.ledger.document import Verdict
from obligations.ledger.period import calendar_year
from obligations.ledger.service import ComposedLedger
from obligations.ledger.summary import (
    CollegeSummary,
    TaskOutcomes,
    UnitStanding,
    college_summary,
    ranked,
    share,
    task_outcomes,
)
from obligations.ledger.summary_html import summary_html
from obligations.ledger.summary_xlsx import (
    CHART_TITLE,
    FIRST_UNIT_ROW,
    HEADER_ROW,
    summary_pdf,
    summary_xlsx,
)
from obligations.tasks.state import refresh_done_on
from obligations.tasks.status import TaskStatus, task_status


def standing(code: str, outcomes: TaskOutcomes, not_met: int = 0) -> UnitStanding:
    return UnitStanding(code, f"{code}党总支", outcomes, 30 - not_met, not_met, 0, ())


def composed(code: str, name: str, not_met: int) -> ComposedLedger:
    """A ledger whose first ``not_met`` items are 未达标 and the rest 达标."""
    document = filled_document()
    rows = [
        dataclasses.replace(row, verdict=Verdict.NOT_MET if n < not_met else Verdict.MET)
        for n, row in enumerate(document.rows)
    ]
    return ComposedLedger(
        unit_code=code,
        unit_name=name,
        period=calendar_year(2026),
        document=dataclasses.replace(document, rows=rows),
        overdue=0,
        late=0,
        catalogue=(),
    )


def sample_summary() -> CollegeSummary:
    ledgers = [
        composed("U01", "机电工程学院党总支", 2),
        composed("U02", "信息工程学院党总支", 0),
        composed("U03", '=HYPERLINK("x")直属党支部', 1),
        composed("U04", "新成立直属党支部", 0),
    ]
    outcomes = {
        "U01": TaskOutcomes(on_time=90, late=6, missed=4),
        "U02": TaskOutcomes(on_time=45, late=3, missed=12),
        "U03": TaskOutcomes(on_time=18, late=1, missed=1),
    }
    return college_summary(ledgers, outcomes, title="党总支（直属党支部）标准化建设工作台账汇总")


# --- the figures ---------------------------------------------------------------------------


def test_a_share_is_a_percentage_with_one_decimal_rounded_half_up() -> None:
    assert [share(1, 3), share(2, 3), share(1, 8), share(1, 16), share(3, 3)] == [
        Decimal("33.3"), Decimal("66.7"), Decimal("12.5"), Decimal("6.3"), Decimal("100.0"),
    ]  # fmt: skip
    assert share(0, 0) is None


def test_the_three_shares_split_the_tasks_due() -> None:
    outcomes = TaskOutcomes(on_time=7, late=2, missed=1)
    assert outcomes.due == 10
    assert (outcomes.on_time_share, outcomes.late_share, outcomes.missed_share) == (
        Decimal("70.0"), Decimal("20.0"), Decimal("10.0"),
    )  # fmt: skip


def test_a_unit_with_five_times_the_branches_and_the_same_record_has_the_same_shares() -> None:
    small = standing("U01", TaskOutcomes(on_time=40, late=6, missed=4))
    large = standing("U02", TaskOutcomes(on_time=200, late=30, missed=20))
    assert large.outcomes.missed > small.outcomes.missed  # raw counts grow with size...
    assert large.outcomes.missed_share == small.outcomes.missed_share == Decimal("8.0")
    assert [s.rank for s in ranked([small, large])] == [1, 1]  # ...the rank does not


def test_units_rank_by_on_time_share_then_by_fewer_items_not_met() -> None:
    result = ranked(
        [
            standing("U01", TaskOutcomes(on_time=8, missed=2), not_met=0),  # 80 %
            standing("U02", TaskOutcomes(on_time=9, missed=1), not_met=3),  # 90 %
            standing("U03", TaskOutcomes(on_time=16, late=4), not_met=1),  # 80 %, 1 not met
            standing("U04", TaskOutcomes(), not_met=0),  # nothing due: last
            standing("U05", TaskOutcomes(on_time=4, late=1), not_met=0),  # 80 %
        ]
    )
    assert [(s.unit_code, s.rank) for s in result] == [
        ("U02", 1), ("U01", 2), ("U05", 2), ("U03", 4), ("U04", 5),
    ]  # fmt: skip


def test_the_college_total_takes_the_shares_of_all_tasks_together() -> None:
    total = sample_summary().total
    assert total.outcomes == TaskOutcomes(on_time=153, late=10, missed=17)
    assert total.outcomes.on_time_share == Decimal("85.0")
    assert (total.met, total.not_met, total.pending) == (117, 3, 0)


def test_task_outcomes_agree_with_the_state_of_each_task(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        unit = build_unit(session)
        tasks = tasks_due(session, unit)
        on_time, late, waived = tasks[:4], tasks[4:6], tasks[6]
        for task in on_time + late:
            held = task.due_on if task in on_time else task.due_on + timedelta(days=5)
            for _ in range(task.min_count):
                add_record(session, task, unit=unit, held_on=held)
        waived.waived_at, waived.waived_reason = datetime(2026, 3, 1, tzinfo=UTC), "合并开展"
        refresh_done_on(session, [task.id for task in tasks])
        session.flush()
        expected = {TaskStatus.DONE: 0, TaskStatus.DONE_LATE: 0, TaskStatus.OVERDUE: 0}
        for task in tasks:
            status = task_status(
                opens_on=task.opens_on,
                due_on=task.due_on,
                min_count=task.min_count,
                recorded_on=[task.done_on] * task.min_count if task.done_on else [],
                today=TODAY,
                due_soon_days=0,
                waived=task.waived_at is not None,
                retired=task.retired_at is not None,
            )
            if status in expected:
                expected[status] += 1
        outcomes = task_outcomes(session, calendar_year(2026), TODAY)
    assert outcomes == {
        "U10": TaskOutcomes(
            on_time=expected[TaskStatus.DONE],
            late=expected[TaskStatus.DONE_LATE],
            missed=expected[TaskStatus.OVERDUE],
        )
    }
    assert outcomes["U10"].on_time == 4 and outcomes["U10"].late == 2
    assert outcomes["U10"].due == len(tasks) - 1  # the waived task owes nothing


def test_task_outcomes_leave_out_tasks_due_outside_the_period(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        build_unit(session)
        assert task_outcomes(session, calendar_year(2031), date(2032, 1, 10)) == {}


# --- Excel ---------------------------------------------------------------------------------


def read(summary: CollegeSummary) -> openpyxl.worksheet.worksheet.Worksheet:
    sheet = openpyxl.load_workbook(io.BytesIO(summary_xlsx(summary))).active
    assert sheet is not None
    return sheet


def test_the_xlsx_lists_units_by_rank_with_their_shares_and_verdicts() -> None:
    sheet = read(sample_summary())
    assert [c.value for c in sheet[HEADER_ROW]][:7] == [
        "名次", "单位编号", "单位名称", "应完成任务数", "按时完成率", "逾期完成率", "未完成率",
    ]  # fmt: skip
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=FIRST_UNIT_ROW)]
    assert rows[0] == [
        1,
        "U03",
        '=HYPERLINK("x")直属党支部',
        20,
        90,
        5,
        5,
        29,
        1,
        0,
        "1.1基本设置形式",
    ]
    assert rows[1][:7] == [2, "U01", "机电工程学院党总支", 100, 90, 6, 4]
    assert rows[2][:7] == [3, "U02", "信息工程学院党总支", 60, 75, 5, 20]
    assert rows[3][:7] == [4, "U04", "新成立直属党支部", 0, "—", "—", "—"]
    assert rows[4][2:7] == ["合计", 180, 85, 5.6, 9.4]
    assert sheet.cell(row=FIRST_UNIT_ROW, column=5).number_format == '0.0"%"'
    assert sheet.cell(row=FIRST_UNIT_ROW, column=3).data_type == "s"  # text, not a formula


def test_the_xlsx_has_a_bar_chart_of_on_time_shares_per_unit() -> None:
    sheet = read(sample_summary())
    (chart,) = sheet._charts
    assert chart.tagname == "barChart"
    assert chart.type == "bar"
    (series,) = chart.series
    last = FIRST_UNIT_ROW + 3
    assert series.val.numRef.f == f"'汇总'!$E${FIRST_UNIT_ROW}:$E${last}"
    assert series.cat.numRef.f == f"'汇总'!$C${FIRST_UNIT_ROW}:$C${last}" or (
        series.cat.strRef.f == f"'汇总'!$C${FIRST_UNIT_ROW}:$C${last}"
    )
    assert "".join(r.t for p in chart.title.tx.rich.p for r in p.r) == CHART_TITLE


def test_the_xlsx_prints_a4_landscape_one_page_wide_with_headers_and_page_numbers() -> None:
    sheet = read(sample_summary())
    assert (sheet.page_setup.orientation, str(sheet.page_setup.paperSize)) == ("landscape", "9")
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert "&P" in sheet.oddFooter.center.text


# --- HTML and PDF --------------------------------------------------------------------------


def test_the_html_has_a_row_and_a_bar_per_unit_and_no_script() -> None:
    html = summary_html(sample_summary())
    assert "<script" not in html and " style=" not in html
    bars = re.findall(r'<rect class="value" width="([\d.]+)"', html)
    assert bars == ["90.0", "90.0", "75.0", "85.0"]  # U04 had nothing due: no bar
    order = [html.index(code) for code in ("U03", "U01", "U02", "U04")]
    assert order == sorted(order)
    assert "=HYPERLINK(&#34;x&#34;)直属党支部" in html  # escaped
    assert "<td>90.0%</td>" in html and "<td>—</td>" in html


def test_the_pdf_shows_every_unit_and_its_shares(tmp_path: Path) -> None:
    pdf = summary_pdf(sample_summary(), scratch=tmp_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / "summary.pdf"
    target.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    for name in ("机电工程学院党总支", "信息工程学院党总支", "新成立直属党支部", CHART_TITLE):
        assert name in flat
    assert "90.0%" in flat and "75.0%" in flat
    info = subprocess.run(
        ["pdfinfo", str(target)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"Page size:\s+841\.\d+ x 595\.\d+ pts \(A4\)", info)
    assert list(tmp_path.iterdir()) == []  # LibreOffice's working folder is gone
