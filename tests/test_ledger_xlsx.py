"""The ledger as Excel: rows as tall as their text (never over Excel's 409 points), the
是否达标 drop-down, the print setup, and every cell's text whole in a printed PDF."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
from pathlib import Path

import openpyxl
from tests.test_ledger_render import ARTIFACTS, filled_document

from obligations.ledger.document import LedgerDocument
from obligations.ledger.render_pdf import office_to_pdf
from obligations.ledger.render_xlsx import (
    COLUMN_WIDTHS,
    CUT_NOTE,
    FIRST_ITEM_ROW,
    HEADER_ROW,
    MAX_LINES,
    MAX_ROW_HEIGHT,
    line_count,
    render_xlsx,
)

SENTENCE = "支部委员会于2026年3月召开，研究发展党员事项，参加8人。"  # 29 characters


def with_implementations(texts: dict[int, str]) -> LedgerDocument:
    """The filled document with the 落实情况 of the rows at the given indexes replaced."""
    document = filled_document()
    rows = [
        dataclasses.replace(row, implementation=texts[index], gaps="") if index in texts else row
        for index, row in enumerate(document.rows)
    ]
    return dataclasses.replace(document, rows=rows)


def sheet_of(document: LedgerDocument) -> openpyxl.worksheet.worksheet.Worksheet:
    sheet = openpyxl.load_workbook(io.BytesIO(render_xlsx(document))).active
    assert sheet is not None
    return sheet


def test_no_row_is_taller_than_excels_limit_even_for_a_text_of_pages() -> None:
    sheet = sheet_of(with_implementations({13: SENTENCE * 60}))  # ~1,700 characters
    heights = [sheet.row_dimensions[FIRST_ITEM_ROW + i].height for i in range(30)]
    assert all(height is not None and height <= MAX_ROW_HEIGHT for height in heights)
    assert heights[13] > MAX_ROW_HEIGHT * 0.9  # the long row takes nearly all it may


def test_row_heights_grow_with_the_length_of_the_text() -> None:
    lengths = {20: 4, 21: 8, 22: 16}  # sentences
    sheet = sheet_of(with_implementations({i: SENTENCE * n for i, n in lengths.items()}))
    heights = {i: sheet.row_dimensions[FIRST_ITEM_ROW + i].height for i in lengths}
    assert heights[20] < heights[21] < heights[22]
    # twice the text, about twice the height (the padding and rounding aside)
    assert 1.6 < heights[21] / heights[20] < 2.4
    assert 1.6 < heights[22] / heights[21] < 2.4


def test_a_text_too_long_for_one_row_is_cut_at_a_sentence_and_points_to_the_catalogue() -> None:
    text = "".join(f"第{n}次{SENTENCE}" for n in range(1, 61))
    sheet = sheet_of(with_implementations({13: text}))
    shown = sheet.cell(row=FIRST_ITEM_ROW + 13, column=4).value
    assert shown.endswith("。" + CUT_NOTE)
    kept = shown.removesuffix(CUT_NOTE)
    assert text.startswith(kept) and len(kept) < len(text)
    following = text[len(kept) :].split("。", 1)[0] + "。"
    width = COLUMN_WIDTHS["D"]
    assert line_count(kept + CUT_NOTE, width) <= MAX_LINES
    assert line_count(kept + following + CUT_NOTE, width) > MAX_LINES  # as much as fits


def test_a_text_that_fits_is_kept_whole() -> None:
    text = SENTENCE * 6
    sheet = sheet_of(with_implementations({3: text}))
    assert sheet.cell(row=FIRST_ITEM_ROW + 3, column=4).value == text


def test_the_verdict_cells_offer_the_three_verdicts_as_a_drop_down() -> None:
    sheet = sheet_of(filled_document())
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1
    (validation,) = validations
    assert validation.type == "list"
    assert validation.formula1 == '"达标,未达标,待补充"'
    assert str(validation.sqref) == f"E{FIRST_ITEM_ROW}:E{FIRST_ITEM_ROW + 29}"
    assert validation.showErrorMessage


def test_the_xlsx_prints_a4_landscape_fitted_to_width_with_page_numbers() -> None:
    sheet = sheet_of(filled_document())
    setup = sheet.page_setup
    assert (setup.orientation, str(setup.paperSize)) == ("landscape", "9")
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert sheet.page_margins.left > 0.3 and sheet.page_margins.top > 0.3
    assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text


def test_printed_through_libreoffice_no_cell_loses_its_end() -> None:
    medium = "".join(f"第{n}次{SENTENCE}" for n in range(1, 12)) + "结尾甲乙丙。"
    long = "".join(f"第{n}次{SENTENCE}" for n in range(1, 61))
    document = with_implementations({5: medium, 20: long})
    pdf = office_to_pdf(render_xlsx(document), "xlsx")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / "ledger-xlsx.pdf"
    target.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    assert "结尾甲乙丙。" in flat  # the last characters of a long cell that fits
    shown = sheet_of(document).cell(row=FIRST_ITEM_ROW + 20, column=4).value
    assert re.sub(r"\s+", "", shown[-30:]) in flat  # the cut cell's end, note included
    for row in document.rows:  # every short gap cell, whole
        if row.gaps:
            assert row.gaps.replace(" ", "") in flat


def test_the_ledger_pdf_of_the_workbook_is_a4_landscape(tmp_path: Path) -> None:
    target = tmp_path / "ledger.pdf"
    target.write_bytes(office_to_pdf(render_xlsx(filled_document()), "xlsx", scratch=tmp_path))
    info = subprocess.run(
        ["pdfinfo", str(target)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"Page size:\s+841\.\d+ x 595\.\d+ pts \(A4\)", info)
