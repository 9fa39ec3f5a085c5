"""Build the shipped Word template ``calendar_rules/ledger-template.docx`` with python-docx.

The template is a docxtpl (Jinja2-in-Word) document a college may restyle in Word: fonts, sizes,
margins and column widths live in named styles and the table, the content in placeholders. The
item rows are two nested ``{%tr for %}`` loops; the 项目 cell carries ``{% vm %}`` so it merges
vertically over each section's items. Placeholders (see :func:`obligations.ledger.render_docx.
template_context`): ``attachment``, ``title``, ``period_label``, ``school_label`` /
``school_name``, ``unit_label`` / ``unit_name``, ``date_label`` / ``filled_on``, ``columns[0..4]``,
``sections`` (``section_name``, ``rows``), each row's ``item_id``, ``item_name``,
``standard_text``, ``implementation``, ``verdict``, ``gaps``.

Only the wide 具体标准 column is justified; the narrow ones are centred (项目, item name,
是否达标) or left-aligned (落实情况, 差距), as :mod:`obligations.ledger.docx_layout` also
enforces on a college's template. The template carries only the parts and styles it uses:
python-docx's default document brings 170 styles and a 440 KB ``stylesWithEffects`` part that
every rendering would parse and compress again.

    python -m obligations.ledger.make_template [output.docx]
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Length, Mm, Pt
from docx.styles.style import ParagraphStyle
from docx.table import Table, _Cell, _Row

from obligations.paths import shipped_dir

TEMPLATE_NAME = "ledger-template.docx"

BODY_FONT = "宋体"  # SimSun: on every Chinese Windows, the usual face for a form's table
TITLE_FONT = "黑体"  # SimHei: 方正小标宋 is the official-document face but often not installed
LATIN_FONT = "Times New Roman"

PAGE_WIDTH, PAGE_HEIGHT = Mm(297), Mm(210)  # A4 landscape
MARGIN_SIDE, MARGIN_TOP, MARGIN_BOTTOM = Mm(20), Mm(20), Mm(18)
# 项目 | item name | standard | 落实情况 | 是否达标 | 差距及措施: the 257 mm text width.
# As in the original form, 具体标准 spans two grid columns: the item name and its standard text.
COLUMN_WIDTHS = (Mm(20), Mm(24), Mm(85), Mm(68), Mm(20), Mm(40))

STYLE_ATTACHMENT = "Ledger Attachment"
STYLE_TITLE = "Ledger Title"
STYLE_PERIOD = "Ledger Period"
STYLE_FIELDS = "Ledger Fields"
STYLE_HEADER = "Ledger Table Header"
STYLE_TEXT = "Ledger Table Text"  # justified: the wide 具体标准 column
STYLE_LEFT = "Ledger Table Left"  # the narrow reported columns: never justified
STYLE_CENTER = "Ledger Table Center"
STYLE_FOOTER = "Ledger Footer"


def default_output() -> Path:
    return shipped_dir("calendar_rules") / TEMPLATE_NAME


def build_template() -> DocumentObject:
    document = Document()
    _set_default_fonts(document)
    _add_styles(document)
    _set_page(document)
    _add_heading(document)
    _add_table(document)
    _add_footer(document)
    _slim(document)
    return document


def set_run_fonts(rpr: BaseOxmlElement, latin: str, east_asia: str) -> None:
    """Name the Latin and the East Asian face; theme fonts would override explicit names."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _set_default_fonts(document: DocumentObject) -> None:
    defaults = document.styles.element.find(qn("w:docDefaults"))
    assert defaults is not None  # python-docx's default template has them
    rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    assert rpr is not None
    set_run_fonts(rpr, LATIN_FONT, BODY_FONT)
    normal = document.styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    set_run_fonts(normal.element.get_or_add_rPr(), LATIN_FONT, BODY_FONT)
    normal.font.size = Pt(10.5)  # 五号


def _add_styles(document: DocumentObject) -> None:
    center, left = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT
    _paragraph_style(document, STYLE_ATTACHMENT, TITLE_FONT, Pt(14), left, after=Pt(6))
    _paragraph_style(document, STYLE_TITLE, TITLE_FONT, Pt(18), center, after=Pt(4))
    _paragraph_style(document, STYLE_PERIOD, BODY_FONT, Pt(12), center, after=Pt(8))
    fields = _paragraph_style(document, STYLE_FIELDS, BODY_FONT, Pt(12), left, after=Pt(6))
    for position in (Mm(92), Mm(192)):
        fields.paragraph_format.tab_stops.add_tab_stop(position, WD_TAB_ALIGNMENT.LEFT)
    header = _paragraph_style(document, STYLE_HEADER, TITLE_FONT, Pt(11), center)
    header.font.bold = True
    _paragraph_style(document, STYLE_TEXT, BODY_FONT, Pt(10.5), WD_ALIGN_PARAGRAPH.JUSTIFY)
    _paragraph_style(document, STYLE_LEFT, BODY_FONT, Pt(10.5), left)
    _paragraph_style(document, STYLE_CENTER, BODY_FONT, Pt(10.5), center)
    _paragraph_style(document, STYLE_FOOTER, BODY_FONT, Pt(9), center)


def _paragraph_style(
    document: DocumentObject,
    name: str,
    east_asia: str,
    size: Length,
    alignment: WD_ALIGN_PARAGRAPH,
    *,
    after: Length | None = None,
) -> ParagraphStyle:
    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(style, ParagraphStyle)
    style.base_style = document.styles["Normal"]
    style.quick_style = True
    set_run_fonts(style.element.get_or_add_rPr(), LATIN_FONT, east_asia)
    style.font.size = size
    layout = style.paragraph_format
    layout.alignment = alignment
    layout.space_before = Pt(0)
    layout.space_after = after or Pt(0)
    layout.line_spacing_rule = WD_LINE_SPACING.SINGLE
    return style


def _set_page(document: DocumentObject) -> None:
    section = document.sections[0]
    # python-docx starts from US Letter portrait: set A4 and swap to landscape explicitly.
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.left_margin = section.right_margin = MARGIN_SIDE
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.header_distance, section.footer_distance = Mm(10), Mm(8)


def _add_heading(document: DocumentObject) -> None:
    document.add_paragraph("{{ attachment }}", style=STYLE_ATTACHMENT)
    document.add_paragraph("{{ title }}", style=STYLE_TITLE)
    document.add_paragraph("{% if period_label %}（{{ period_label }}）{% endif %}", STYLE_PERIOD)
    document.add_paragraph(
        "{{ school_label }}：{{ school_name }}\t{{ unit_label }}：{{ unit_name }}"
        "\t{{ date_label }}：{{ filled_on }}",
        style=STYLE_FIELDS,
    )


def _add_table(document: DocumentObject) -> None:
    table = document.add_table(rows=6, cols=len(COLUMN_WIDTHS))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _fix_layout(table)
    for row in table.rows:
        for cell, width in zip(row.cells, COLUMN_WIDTHS, strict=True):
            cell.width = width
    header = table.rows[0]
    _mark_header(header)
    spans = (0, 1, 3, 4, 5)  # 具体标准 spans grid columns 1-2
    header.cells[1].merge(header.cells[2])
    for index, grid in enumerate(spans):
        _write(header.cells[grid], f"{{{{ columns[{index}] }}}}", STYLE_HEADER)
        header.cells[grid].vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    _write(table.rows[1].cells[0], "{%tr for section in sections %}", STYLE_TEXT)
    _write(table.rows[2].cells[0], "{%tr for row in section.rows %}", STYLE_TEXT)
    cells = table.rows[3].cells
    body = (
        ("{{ section.section_name }}{% vm %}", STYLE_CENTER, WD_CELL_VERTICAL_ALIGNMENT.CENTER),
        ("{{ row.item_name }}", STYLE_CENTER, WD_CELL_VERTICAL_ALIGNMENT.CENTER),
        ("{{ row.standard_text }}", STYLE_TEXT, WD_CELL_VERTICAL_ALIGNMENT.CENTER),
        ("{{ row.implementation }}", STYLE_LEFT, WD_CELL_VERTICAL_ALIGNMENT.CENTER),
        ("{{ row.verdict }}", STYLE_CENTER, WD_CELL_VERTICAL_ALIGNMENT.CENTER),
        ("{{ row.gaps }}", STYLE_LEFT, WD_CELL_VERTICAL_ALIGNMENT.CENTER),
    )
    for cell, (text, style, valign) in zip(cells, body, strict=True):
        _write(cell, text, style)
        cell.vertical_alignment = valign
    _write(table.rows[4].cells[0], "{%tr endfor %}", STYLE_TEXT)
    _write(table.rows[5].cells[0], "{%tr endfor %}", STYLE_TEXT)


def _fix_layout(table: Table) -> None:
    # A fixed layout keeps the form's column widths instead of Word's content-based autofit.
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    for grid_col, width in zip(table._tbl.tblGrid.gridCol_lst, COLUMN_WIDTHS, strict=True):
        grid_col.w = width


def _mark_header(row: _Row) -> None:
    """Repeat the row at the top of every page and keep it in one piece."""
    tr_pr = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader"):
        element = OxmlElement(tag)
        tr_pr.append(element)


def _write(cell: _Cell, text: str, style: str) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.style = style
    paragraph.add_run(text)


# Parts of python-docx's default document a ledger never uses: Word 2010's copy of the styles,
# a thumbnail and a custom XML item. Relationship types end with these names.
_UNUSED_PARTS = ("/stylesWithEffects", "/thumbnail", "/customXml")
_KEPT_TABLE_STYLES = ("TableNormal", "TableGrid")


def _slim(document: DocumentObject) -> None:
    """Drop the unused parts and the ~100 unused table styles (Word keeps its built-in
    definitions and adds one back when a college picks it)."""
    for part in (document.part, document.part.package):
        for r_id, rel in list(part.rels.items()):
            if rel.reltype.endswith(_UNUSED_PARTS):
                del part.rels[r_id]
    styles = document.styles.element
    for style in styles.findall(qn("w:style")):
        unused_table = style.get(qn("w:type")) == "table"
        if unused_table and style.get(qn("w:styleId")) not in _KEPT_TABLE_STYLES:
            styles.remove(style)


def _add_footer(document: DocumentObject) -> None:
    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.style = STYLE_FOOTER
    paragraph.add_run("第 ")
    _add_field(paragraph._p, "PAGE")
    paragraph.add_run(" 页，共 ")
    _add_field(paragraph._p, "NUMPAGES")
    paragraph.add_run(" 页")


def _add_field(p: BaseOxmlElement, instruction: str) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    p.append(field)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else default_output()
    build_template().save(str(output))
    print(f"已生成台账模板：{output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
