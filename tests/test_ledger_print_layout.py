"""The printed ledger's layout (issue 12): no justified text in a narrow column, and no row
split across pages unless it is longer than a page, with the shipped template and a college's.
"""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
from datetime import date
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import _Row
from docx.text.paragraph import Paragraph
from tests.helpers import shipped_catalog
from tests.test_web_browser import CHROMIUM

from obligations.ledger.document import LedgerDocument, Verdict, empty_document
from obligations.ledger.render_docx import default_template, render_docx
from obligations.ledger.render_html import render_html
from obligations.ledger.render_pdf import docx_to_pdf

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "ledger"
# Grid columns of the form: 项目 20 mm, item name 24, 具体标准 85, 落实情况 68, 是否达标 20,
# 差距 40. At 10.5 pt a line of 具体标准 holds ~22 characters, the others fewer than 20.
NARROW_COLUMNS = (0, 1, 3, 4, 5)
STANDARD_COLUMN = 2
SPREAD = {
    WD_ALIGN_PARAGRAPH.JUSTIFY,
    WD_ALIGN_PARAGRAPH.DISTRIBUTE,
    WD_ALIGN_PARAGRAPH.JUSTIFY_LOW,
    WD_ALIGN_PARAGRAPH.JUSTIFY_MED,
    WD_ALIGN_PARAGRAPH.JUSTIFY_HI,
    WD_ALIGN_PARAGRAPH.THAI_JUSTIFY,
}
SENTENCE = "本年度按计划组织开展，会议记录和签到表齐全，材料已归档。"
NAMES = "张慧敏2026年度、王小明2026年度集中培训未完成"
LONG_ITEM = 17  # 4.3, given far more text than a page holds


def document(long_item: int | None = None) -> LedgerDocument:
    """Rows of 4 to 8 lines, each 落实情况 between markers 起NN and 止NN; every fourth 差距
    names people with their year (the text the narrow column used to spread)."""
    skeleton = empty_document(
        shipped_catalog().ledger,
        school_name="安徽职业技术学院",
        unit_name="机电工程学院党总支",
        filled_on=date(2026, 12, 20),
        period_label="2026年度",
    )
    rows = []
    for index, row in enumerate(skeleton.rows):
        lines = [SENTENCE] * (3 + index % 5)
        if index == long_item:
            lines = [f"第{k}条：{SENTENCE * 3}" for k in range(40)]
        rows.append(
            dataclasses.replace(
                row,
                implementation=f"起{index:02d}。" + "\n".join(lines) + f"止{index:02d}。",
                verdict=Verdict.MET,
                gaps=NAMES if index % 4 == 1 else "",
            )
        )
    return dataclasses.replace(skeleton, rows=rows)


def alignment(paragraph: Paragraph) -> WD_ALIGN_PARAGRAPH | None:
    """The paragraph's own alignment, else its style's (through the styles it is based on)."""
    if paragraph.alignment is not None:
        return paragraph.alignment
    style = paragraph.style
    while style is not None:
        if style.paragraph_format.alignment is not None:
            return style.paragraph_format.alignment
        style = style.base_style
    return None


def item_rows(data: bytes) -> list[_Row]:
    return list(Document(io.BytesIO(data)).tables[0].rows[1:])


def cant_split(row: _Row) -> bool:
    tr_pr = row._tr.trPr
    return tr_pr is not None and tr_pr.find(qn("w:cantSplit")) is not None


def colleges_template(folder: Path, *, justify_all: bool, cant_split_rows: bool) -> Path:
    """The shipped template as a college might have restyled it in Word: every table text
    style justified (the standard's and the verdict's distributed), the item row kept whole."""
    word = Document(str(default_template()))
    if justify_all:
        for name, how in (
            ("Ledger Table Text", WD_ALIGN_PARAGRAPH.DISTRIBUTE),
            ("Ledger Table Left", WD_ALIGN_PARAGRAPH.JUSTIFY),
            ("Ledger Table Center", WD_ALIGN_PARAGRAPH.DISTRIBUTE),
        ):
            if name in word.styles:  # Ledger Table Left is new in this version
                word.styles[name].paragraph_format.alignment = how
    if cant_split_rows:
        for row in word.tables[0].rows[1:]:
            row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    path = folder / "ledger-template.docx"
    word.save(str(path))
    return path


def assert_no_spread_text_in_narrow_columns(data: bytes) -> None:
    for row in item_rows(data):
        for index in NARROW_COLUMNS:
            for paragraph in row.cells[index].paragraphs:
                assert alignment(paragraph) not in SPREAD, (index, paragraph.text)
        for paragraph in row.cells[STANDARD_COLUMN].paragraphs:
            assert alignment(paragraph) is not WD_ALIGN_PARAGRAPH.DISTRIBUTE


def test_no_narrow_column_of_the_shipped_template_is_justified() -> None:
    data = render_docx(document())
    assert_no_spread_text_in_narrow_columns(data)
    standards = [alignment(p) for row in item_rows(data) for p in row.cells[2].paragraphs]
    assert set(standards) == {WD_ALIGN_PARAGRAPH.JUSTIFY}  # the wide column keeps its look


def test_a_colleges_justified_template_gets_its_narrow_columns_unjustified(
    tmp_path: Path,
) -> None:
    template = colleges_template(tmp_path, justify_all=True, cant_split_rows=False)
    data = render_docx(document(), template)
    assert_no_spread_text_in_narrow_columns(data)
    verdicts = [row.cells[4].paragraphs[0] for row in item_rows(data)]
    assert {alignment(p) for p in verdicts} == {WD_ALIGN_PARAGRAPH.CENTER}  # was distributed
    reported = [p for row in item_rows(data) for p in row.cells[3].paragraphs]
    assert {alignment(p) for p in reported} == {WD_ALIGN_PARAGRAPH.LEFT}  # was justified
    assert {row.cells[4].text for row in item_rows(data)} == {"达标"}


def test_every_row_shorter_than_a_page_is_kept_on_one_page() -> None:
    rows = item_rows(render_docx(document()))
    assert [cant_split(row) for row in rows] == [True] * 30


def test_a_row_longer_than_a_page_may_split_so_nothing_is_cut() -> None:
    rows = item_rows(render_docx(document(long_item=LONG_ITEM)))
    assert [index for index, row in enumerate(rows) if not cant_split(row)] == [LONG_ITEM]


def test_a_colleges_template_keeps_both_rules(tmp_path: Path) -> None:
    template = colleges_template(tmp_path, justify_all=True, cant_split_rows=True)
    rows = item_rows(render_docx(document(long_item=LONG_ITEM), template))
    assert [index for index, row in enumerate(rows) if not cant_split(row)] == [LONG_ITEM]
    plain = colleges_template(tmp_path, justify_all=False, cant_split_rows=False)
    rows = item_rows(render_docx(document(long_item=LONG_ITEM), plain))
    assert [index for index, row in enumerate(rows) if not cant_split(row)] == [LONG_ITEM]


def test_the_header_row_still_repeats_and_stays_whole() -> None:
    header = Document(io.BytesIO(render_docx(document()))).tables[0].rows[0]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    assert cant_split(header)


def pages_of(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]  # pdftotext ends every page with a form feed


def test_in_the_pdf_only_the_row_longer_than_a_page_runs_over_a_page_break() -> None:
    pdf = ARTIFACTS / "ledger-print-layout.pdf"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(docx_to_pdf(render_docx(document(long_item=LONG_ITEM))))
    pages = pages_of(pdf)
    flat = [re.sub(r"\s+", "", page) for page in pages]

    def on_pages(marker: str) -> list[int]:
        return [number for number, text in enumerate(flat) if marker in text]

    starts = {i: on_pages(f"起{i:02d}") for i in range(30)}
    ends = {i: on_pages(f"止{i:02d}") for i in range(30)}
    assert all(len(found) == 1 for found in (*starts.values(), *ends.values()))  # nothing cut
    split = [i for i in range(30) if starts[i] != ends[i]]
    assert split == [LONG_ITEM]
    assert ends[LONG_ITEM][0] - starts[LONG_ITEM][0] >= 2  # it really is longer than a page
    # The narrow 差距 column prints names and years as written, not spread out.
    text = "".join(pages)
    assert text.count("张慧敏2026") + text.count("张慧敏 2026") == 8
    assert "张 慧 敏" not in text


def test_the_html_ledger_justifies_only_the_wide_standard_column() -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.set_content(render_html(document()))
        aligns = page.evaluate(
            """() => Object.fromEntries(
                ["section", "name", "standard", "implementation", "verdict", "gaps"].map(c =>
                    [c, [...new Set([...document.querySelectorAll("td." + c)]
                        .map(td => getComputedStyle(td).textAlign))]]))"""
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ledger-html.png"))
        browser.close()
    assert aligns == {
        "section": ["center"],
        "name": ["center"],
        "standard": ["justify"],
        "implementation": ["left"],
        "verdict": ["center"],
        "gaps": ["left"],
    }
