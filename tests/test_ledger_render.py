"""The year-end ledger rendered as Word, Excel, HTML and PDF, read back and checked."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from tests.helpers import shipped_catalog

from obligations.ledger.document import LedgerDocument, LedgerRow, Verdict, empty_document
from obligations.ledger.errors import LedgerTemplateInvalid, PdfConverterMissing
from obligations.ledger.make_template import build_template
from obligations.ledger.render_docx import (
    default_template,
    render_docx,
    template_in_force,
)
from obligations.ledger.render_html import render_html
from obligations.ledger.render_pdf import docx_to_pdf, render_pdf
from obligations.ledger.render_xlsx import FIRST_ITEM_ROW, HEADER_ROW, render_xlsx
from obligations.rules.schema import LedgerFile

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "ledger"
FILLED_ON = date(2026, 12, 20)
VERDICTS = (Verdict.MET, Verdict.NOT_MET, Verdict.PENDING)
# (first item row, last item row) of each section, counting item rows from 0
SECTION_SPANS = [(0, 3), (4, 7), (8, 13), (14, 17), (18, 21), (22, 25), (26, 29)]


def ledger() -> LedgerFile:
    return shipped_catalog().ledger


def filled_document() -> LedgerDocument:
    skeleton = empty_document(
        ledger(),
        school_name="安徽职业技术学院",
        unit_name="机电工程学院党总支",
        filled_on=FILLED_ON,
        period_label="2026年度",
    )
    rows = [
        dataclasses.replace(
            row,
            implementation=f"{row.item_id} 已按标准落实，会议记录 3 份。\n见附件 {index + 1}。",
            verdict=VERDICTS[index % 3],
            gaps=f"{row.item_id} 差距：材料归档不及时；措施：每月归档。",
        )
        for index, row in enumerate(skeleton.rows)
    ]
    return dataclasses.replace(skeleton, rows=rows)


def read_docx(data: bytes) -> DocumentObject:
    return Document(io.BytesIO(data))


def item_rows(word: DocumentObject) -> list[list[str]]:
    """Texts of the item rows; python-docx repeats a merged cell's text in every row it spans."""
    return [[cell.text for cell in row.cells] for row in word.tables[0].rows[1:]]


# --- the document itself -------------------------------------------------------------------


def test_the_empty_document_lists_all_thirty_items_in_the_forms_order() -> None:
    document = empty_document(
        ledger(), school_name="学校", unit_name="单位", filled_on=FILLED_ON, period_label=""
    )
    expected = [item.id for section in ledger().sections for item in section.items]
    assert [row.item_id for row in document.rows] == expected
    assert len(document.rows) == 30
    assert all(row.verdict is Verdict.PENDING and row.implementation == "" for row in document.rows)
    assert document.title == "安徽职业技术学院党总支（直属党支部）标准化建设工作台账"
    assert document.columns == ("项目", "具体标准", "落实情况", "是否达标", "存在的主要差距及措施")


def test_the_document_groups_its_rows_into_the_seven_sections() -> None:
    sections = filled_document().sections
    assert [s.section_name for s in sections] == [s.name for s in ledger().sections]
    assert [len(s.rows) for s in sections] == [4, 4, 6, 4, 4, 4, 4]


def test_rows_of_one_section_must_be_consecutive() -> None:
    rows = filled_document().rows
    shuffled = [rows[0], rows[5], rows[1]]
    with pytest.raises(ValueError, match="第 1 部分的条目不连续"):
        dataclasses.replace(filled_document(), rows=shuffled)


def test_the_fill_date_is_written_the_chinese_way() -> None:
    assert filled_document().filled_on_text == "2026年12月20日"


# --- Word ----------------------------------------------------------------------------------


def test_the_docx_has_thirty_item_rows_in_the_forms_order() -> None:
    rows = item_rows(read_docx(render_docx(filled_document())))
    assert [row[1] for row in rows] == [item.name for item in shipped_catalog().items]


def test_the_docx_column_headers_are_the_forms_verbatim() -> None:
    header = read_docx(render_docx(filled_document())).tables[0].rows[0]
    texts = [cell.text for cell in header.cells]
    # 具体标准 spans the item-name and standard-text grid columns, as in the original form
    assert texts == ["项目", "具体标准", "具体标准", "落实情况", "是否达标", "存在的主要差距及措施"]


def test_each_section_cell_is_merged_vertically_over_its_items() -> None:
    table = read_docx(render_docx(filled_document())).tables[0]
    trs = table._tbl.tr_lst[1:]
    merges = [tr.tc_lst[0].vMerge for tr in trs]
    starts = [index for index, value in enumerate(merges) if value == "restart"]
    assert starts == [first for first, _ in SECTION_SPANS]
    names = [s.name for s in ledger().sections]
    for (first, last), name in zip(SECTION_SPANS, names, strict=True):
        assert all(merge == "continue" for merge in merges[first + 1 : last + 1])
        top = table.cell(first + 1, 0)
        assert top.text == name
        assert table.cell(last + 1, 0)._tc is top._tc  # python-docx resolves the span to the top
        assert trs[first].tc_lst[0].bottom == last + 2  # one header row above the items


def test_every_standard_text_appears_verbatim_from_the_ledger_file() -> None:
    rows = item_rows(read_docx(render_docx(filled_document())))
    assert [row[2] for row in rows] == [item.standard for item in shipped_catalog().items]


def test_implementations_verdicts_and_gaps_land_in_their_items_rows() -> None:
    document = filled_document()
    rows = item_rows(read_docx(render_docx(document)))
    for row, expected in zip(rows, document.rows, strict=True):
        assert row[3] == expected.implementation  # the line break becomes a second paragraph
        assert row[4] == expected.verdict.value
        assert row[5] == expected.gaps
    assert {row[4] for row in rows} == {"达标", "未达标", "待补充"}


def test_the_title_and_header_fields_are_filled() -> None:
    texts = [p.text for p in read_docx(render_docx(filled_document())).paragraphs]
    assert texts[:4] == [
        "附件2",
        "安徽职业技术学院党总支（直属党支部）标准化建设工作台账",
        "（2026年度）",
        "学校名称：安徽职业技术学院\t党总支（直属党支部）名称：机电工程学院党总支"
        "\t填表日期：2026年12月20日",
    ]


def test_markup_and_control_characters_in_reported_text_do_not_break_the_docx() -> None:
    document = filled_document()
    rows = list(document.rows)
    rows[0] = dataclasses.replace(rows[0], implementation="A&B <党课> \x01完成", gaps='"引号"\'')
    word = read_docx(render_docx(dataclasses.replace(document, rows=rows)))
    assert item_rows(word)[0][3] == "A&B <党课> 完成"
    assert item_rows(word)[0][5] == '"引号"\''


def test_the_docx_page_is_a4_landscape() -> None:
    section = read_docx(render_docx(filled_document())).sections[0]
    assert section.orientation == 1  # WD_ORIENT.LANDSCAPE
    assert abs(section.page_width - Mm(297)) < Mm(0.5)
    assert abs(section.page_height - Mm(210)) < Mm(0.5)


def test_the_docx_header_row_repeats_on_every_page_and_only_it() -> None:
    trs = read_docx(render_docx(filled_document())).tables[0]._tbl.tr_lst
    repeated = [tr.trPr is not None and tr.trPr.find(qn("w:tblHeader")) is not None for tr in trs]
    assert repeated == [True] + [False] * 30


def test_the_docx_names_east_asian_fonts_for_body_and_title() -> None:
    word = read_docx(render_docx(filled_document()))

    def east_asia(style_name: str) -> str | None:
        fonts = word.styles[style_name].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsiaTheme")) is None  # a theme font would win over the name
        return fonts.get(qn("w:eastAsia"))

    assert east_asia("Normal") == "宋体"
    assert east_asia("Ledger Table Text") == "宋体"
    assert east_asia("Ledger Title") == "黑体"
    assert word.paragraphs[1].style.name == "Ledger Title"
    body_styles = {p.style.name for row in word.tables[0].rows[1:] for p in row.cells[2].paragraphs}
    assert body_styles == {"Ledger Table Text"}
    defaults = word.styles.element.find(qn("w:docDefaults"))
    assert defaults.find(f".//{qn('w:rFonts')}").get(qn("w:eastAsia")) == "宋体"
    assert defaults.find(f".//{qn('w:lang')}").get(qn("w:eastAsia")) == "zh-CN"


def test_the_shipped_template_is_what_make_template_builds() -> None:
    buffer = io.BytesIO()
    build_template().save(buffer)
    with zipfile.ZipFile(buffer) as built, zipfile.ZipFile(default_template()) as shipped:
        for part in ("word/document.xml", "word/styles.xml", "word/footer1.xml"):
            assert built.read(part) == shipped.read(part), f"{part}: rerun make_template"


def test_a_colleges_template_overrides_the_shipped_one(tmp_path: Path) -> None:
    restyled = read_docx(default_template().read_bytes())
    restyled.paragraphs[0].text = "附件二（{{ unit_name }}）"
    restyled.styles["Ledger Table Text"].font.size = Pt(11)
    restyled.save(str(tmp_path / "ledger-template.docx"))
    template = template_in_force([tmp_path.parent / "none", tmp_path])
    assert template == tmp_path / "ledger-template.docx"
    word = read_docx(render_docx(filled_document(), template))
    assert word.paragraphs[0].text == "附件二（机电工程学院党总支）"
    assert word.styles["Ledger Table Text"].font.size == Pt(11)
    assert len(item_rows(word)) == 30


def test_without_a_colleges_template_the_shipped_one_is_in_force(tmp_path: Path) -> None:
    assert template_in_force([tmp_path]) == default_template()


def test_a_template_with_a_broken_placeholder_is_refused_in_chinese(tmp_path: Path) -> None:
    broken = read_docx(default_template().read_bytes())
    broken.paragraphs[0].text = "{{ attachment"
    broken.save(str(tmp_path / "broken.docx"))
    with pytest.raises(LedgerTemplateInvalid, match="台账模板中的占位符有误"):
        render_docx(filled_document(), tmp_path / "broken.docx")


def test_a_template_with_a_misspelt_name_is_refused_in_chinese(tmp_path: Path) -> None:
    broken = read_docx(default_template().read_bytes())
    broken.paragraphs[0].text = "{{ unit_nmae }}"
    broken.save(str(tmp_path / "misspelt.docx"))
    with pytest.raises(LedgerTemplateInvalid, match="unit_nmae"):
        render_docx(filled_document(), tmp_path / "misspelt.docx")


def test_a_template_that_is_not_a_word_file_is_refused_in_chinese(tmp_path: Path) -> None:
    (tmp_path / "fake.docx").write_text("not a docx", encoding="utf-8")
    with pytest.raises(LedgerTemplateInvalid, match="不是有效的 Word"):
        render_docx(filled_document(), tmp_path / "fake.docx")
    with pytest.raises(LedgerTemplateInvalid, match="台账模板文件不存在"):
        render_docx(filled_document(), tmp_path / "missing.docx")


# --- Excel ---------------------------------------------------------------------------------


def read_sheet(document: LedgerDocument) -> openpyxl.worksheet.worksheet.Worksheet:
    sheet = openpyxl.load_workbook(io.BytesIO(render_xlsx(document))).active
    assert sheet is not None
    return sheet


def test_the_xlsx_merges_each_section_cell_over_its_items() -> None:
    sheet = read_sheet(filled_document())
    merged = {str(r) for r in sheet.merged_cells.ranges if r.min_col == r.max_col == 1}
    expected = {
        f"A{FIRST_ITEM_ROW + first}:A{FIRST_ITEM_ROW + last}" for first, last in SECTION_SPANS
    }
    assert merged == expected
    for (first, _), section in zip(SECTION_SPANS, ledger().sections, strict=True):
        assert sheet.cell(row=FIRST_ITEM_ROW + first, column=1).value == section.name


def test_the_xlsx_has_the_heading_and_the_forms_column_headers() -> None:
    sheet = read_sheet(filled_document())
    assert sheet["A1"].value == "附件2"
    assert sheet["A2"].value == "安徽职业技术学院党总支（直属党支部）标准化建设工作台账"
    assert sheet["A4"].value == "学校名称：安徽职业技术学院"
    assert sheet["D4"].value == "党总支（直属党支部）名称：机电工程学院党总支"
    assert sheet["E4"].value == "填表日期：2026年12月20日"
    headers = [sheet.cell(row=HEADER_ROW, column=c).value for c in (1, 2, 4, 5, 6)]
    assert headers == ["项目", "具体标准", "落实情况", "是否达标", "存在的主要差距及措施"]
    assert f"B{HEADER_ROW}:C{HEADER_ROW}" in {str(r) for r in sheet.merged_cells.ranges}
    assert "A2:F2" in {str(r) for r in sheet.merged_cells.ranges}


def test_the_xlsx_item_rows_carry_the_items_in_order_with_their_values() -> None:
    document = filled_document()
    sheet = read_sheet(document)
    for offset, row in enumerate(document.rows):
        values = [sheet.cell(row=FIRST_ITEM_ROW + offset, column=c).value for c in range(2, 7)]
        assert values == [
            row.item_name,
            row.standard_text,
            row.implementation,
            row.verdict.value,
            row.gaps,
        ]
        assert sheet.cell(row=FIRST_ITEM_ROW + offset, column=4).alignment.wrap_text
    assert sheet.max_row == FIRST_ITEM_ROW + 29


def test_the_xlsx_prints_on_a4_landscape_repeating_the_header_row() -> None:
    sheet = read_sheet(filled_document())
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4 == "9"
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert sheet.column_dimensions["C"].width > sheet.column_dimensions["B"].width
    assert sheet[f"C{FIRST_ITEM_ROW}"].font.name == "宋体"
    assert sheet["A2"].font.name == "黑体"


# --- HTML ----------------------------------------------------------------------------------


def test_the_html_spans_each_section_cell_over_its_items() -> None:
    html = render_html(filled_document())
    spans = re.findall(r'<td class="section" rowspan="(\d+)">([^<]+)</td>', html)
    assert spans == [(str(len(s.items)), s.name) for s in ledger().sections]
    assert html.count("<tr data-item=") == 30


def test_the_html_keeps_standard_texts_and_escapes_reported_text() -> None:
    document = filled_document()
    rows = list(document.rows)
    rows[0] = dataclasses.replace(rows[0], implementation="<script>alert(1)</script>")
    html = render_html(dataclasses.replace(document, rows=rows))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for item in shipped_catalog().items:
        assert f'<td class="standard">{item.standard}</td>' in html


def test_the_html_prints_a4_landscape_and_repeats_the_column_headers() -> None:
    html = render_html(filled_document())
    assert "size: A4 landscape" in html
    assert "thead { display: table-header-group; }" in html
    thead = html.split("<thead>")[1].split("</thead>")[0]
    assert '<th colspan="2">具体标准</th>' in thead
    assert "存在的主要差距及措施" in thead


# --- PDF -----------------------------------------------------------------------------------


def appears_maybe_split(name: str, flat: str) -> bool:
    """A row broken over a page break splits its cell's text; accept any one split."""
    return any(name[:cut] in flat and name[cut:] in flat for cut in range(1, len(name) + 1))


def test_the_pdf_shows_every_item_and_its_first_page_renders() -> None:
    # The CI installs libreoffice-writer-nogui, fonts-noto-cjk and poppler-utils: no skip here.
    pdf = render_pdf(filled_document())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / "ledger.pdf"
    target.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    assert "安徽职业技术学院党总支（直属党支部）标准化建设工作台账" in flat
    assert "党总支（直属党支部）名称：机电工程学院党总支" in flat
    missing = [i.name for i in shipped_catalog().items if not appears_maybe_split(i.name, flat)]
    assert missing == []
    info = subprocess.run(
        ["pdfinfo", str(target)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"Page size:\s+841\.\d+ x 595\.\d+ pts \(A4\)", info)  # landscape
    page_one = ARTIFACTS / "ledger-page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(target), str(page_one)],
        check=True,
    )
    pngs = sorted(ARTIFACTS.glob("ledger-page*.png"))
    assert pngs and pngs[0].stat().st_size > 10_000


def test_without_libreoffice_the_pdf_error_says_so_in_chinese(tmp_path: Path) -> None:
    assert shutil.which("soffice", path=str(tmp_path)) is None
    with pytest.raises(PdfConverterMissing) as raised:
        docx_to_pdf(b"", path=str(tmp_path))
    assert "服务器未安装 LibreOffice" in str(raised.value)
    assert "Word 版台账" in str(raised.value)


def test_a_row_is_a_plain_value() -> None:
    row = LedgerRow("1", "党的组织设置", "1.1", "基本设置形式", "标准")
    assert row.verdict is Verdict.PENDING
    assert dataclasses.replace(row, verdict=Verdict.MET).verdict == "达标"
