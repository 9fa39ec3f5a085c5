"""No spreadsheet the project writes turns a user's text into a formula (OWASP CSV injection).

Every CSV and XLSX writer runs with hostile titles, file names, notes, unit names and ledger
text; no cell may come out as a formula or as text starting with a formula character unescaped.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.helpers import shipped_catalog
from tests.ledger_scenarios import TODAY, UNIT
from tests.test_ledger_bundle import build, compose

from obligations.evidence.storage import LocalBlobStore
from obligations.ledger.bundle import INDEX_NAME, bundle_root, write_bundle
from obligations.ledger.render_xlsx import render_xlsx
from obligations.ledger.summary import college_summary
from obligations.ledger.summary_xlsx import summary_xlsx
from obligations.models import EvidenceFile, EvidenceRecord, Organization
from obligations.orgdata.template import write_template
from obligations.safety.export import export_unit
from obligations.spreadsheet import FORMULA_STARTS, csv_value

HOSTILE = (
    "=cmd|' /C calc'!A0",
    "=HYPERLINK(A1)x.pdf",
    "+1+1",
    "-2",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
)
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def make_hostile(session: Session) -> None:
    """Every record title, note and file name, and the unit's name, set to a hostile value."""
    unit = session.scalars(select(Organization).where(Organization.code == UNIT)).one()
    unit.name = HOSTILE[0]
    records = session.scalars(select(EvidenceRecord).order_by(EvidenceRecord.id)).all()
    for n, record in enumerate(records):
        record.title = HOSTILE[n % len(HOSTILE)]
        record.notes = HOSTILE[(n + 2) % len(HOSTILE)]
    files = session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)).all()
    for n, file in enumerate(files):
        file.original_name = HOSTILE[(n + 1) % len(HOSTILE)]


def xlsx_cells(content: bytes) -> list[tuple[object, str, bool]]:
    """(value, data type, quote prefix) of every cell of every sheet."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [
        (cell.value, cell.data_type, bool(cell.quotePrefix))
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
    ]


def assert_xlsx_safe(content: bytes) -> set[str]:
    """No formula, and formula-like text only quote-prefixed; returns the texts of the cells."""
    cells = xlsx_cells(content)
    assert [value for value, kind, _ in cells if kind == "f"] == []
    unescaped = [
        value
        for value, _, quoted in cells
        if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not quoted
    ]
    assert unescaped == []
    return {value for value, _, _ in cells if isinstance(value, str)}


def assert_csv_safe(text: str) -> set[str]:
    """No field starts with a formula character unless it is a number; returns the fields."""
    fields = {field for row in csv.reader(io.StringIO(text, newline="")) for field in row}
    assert [f for f in fields if f.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(f)] == []
    return fields


def test_no_csv_or_xlsx_written_by_the_project_holds_a_live_formula(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    with sessions.begin() as session:
        build(session, store)
        make_hostile(session)
    with sessions() as session:
        composed = compose(session)
        bundle = io.BytesIO()
        write_bundle(bundle, composed, shipped_catalog(), store, docx=b"docx")
        export = export_unit(session, shipped_catalog(), store, unit_code=UNIT,
                             output=tmp_path / "U10.zip", today=TODAY, due_soon_days=7)  # fmt: skip
    escaped = {"'" + value for value in HOSTILE}
    with zipfile.ZipFile(bundle) as archive:
        root = bundle_root(composed)
        index_xlsx = archive.read(f"{root}/{INDEX_NAME}.xlsx")
        index_csv = archive.read(f"{root}/{INDEX_NAME}.csv").decode("utf-8-sig")
    with zipfile.ZipFile(export.path) as archive:
        evidence_csv = archive.read("evidence.csv").decode("utf-8-sig")
        tasks_csv = archive.read("tasks.csv").decode("utf-8-sig")
    hostile_rows = [
        replace(row, implementation=HOSTILE[n % 7], gaps=HOSTILE[(n + 3) % 7])
        for n, row in enumerate(composed.document.rows)
    ]
    ledger_xlsx = render_xlsx(replace(composed.document, rows=hostile_rows))
    summary = summary_xlsx(college_summary([composed], {}, title="=HYPERLINK(A1)汇总"))
    write_template(tmp_path / "template.xlsx")

    texts = assert_xlsx_safe(index_xlsx) | assert_xlsx_safe(summary)
    assert {HOSTILE[0], "=HYPERLINK(A1)x.pdf", "+1+1", "-2", "@SUM(A1)"} <= texts
    ledger_texts = assert_xlsx_safe(ledger_xlsx)  # tab and CR are cleaned away: "=1" is left
    assert {HOSTILE[0], "-2", "@SUM(A1)", "=1"} <= ledger_texts
    assert_xlsx_safe((tmp_path / "template.xlsx").read_bytes())
    assert escaped <= assert_csv_safe(index_csv) | assert_csv_safe(evidence_csv)
    assert_csv_safe(tasks_csv)


def test_only_text_is_escaped_a_negative_number_stays_a_number() -> None:
    assert [csv_value(value) for value in (-2, -2.5, 0, None, "-2", "说明-2")] == [
        -2,
        -2.5,
        0,
        None,
        "'-2",
        "说明-2",
    ]
