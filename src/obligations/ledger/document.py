"""One unit's year-end ledger (台账) as plain data, independent of any output format.

The composition service fills a :class:`LedgerDocument` (usually starting from
:func:`empty_document`, which lays out the form's 30 items in order); every renderer
(DOCX, XLSX, HTML, PDF) takes the same document and nothing else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from obligations.rules.schema import LedgerFile

# The original form's labels (附件2); :func:`empty_document` takes them from ledger.yaml.
DEFAULT_ATTACHMENT = "附件2"
DEFAULT_HEADER_FIELDS = ("学校名称", "党总支（直属党支部）名称", "填表日期")
DEFAULT_COLUMNS = ("项目", "具体标准", "落实情况", "是否达标", "存在的主要差距及措施")
# The annex of every gap line whose cell prints a summary (the XLSX sheet, the HTML section and
# the evidence bundle's CSV of this name); the summarised cells cite it.
GAP_ANNEX = "差距明细"
GAP_ANNEX_COLUMNS = ("条目", "具体标准", "差距明细")


class Verdict(enum.StrEnum):
    """The 是否达标 column."""

    MET = "达标"
    NOT_MET = "未达标"
    PENDING = "待补充"


@dataclass(frozen=True)
class LedgerRow:
    """One item of the form with what the unit reports against it."""

    section_id: str
    section_name: str
    item_id: str
    item_name: str
    standard_text: str
    implementation: str = ""
    verdict: Verdict = Verdict.PENDING
    gaps: str = ""
    cited: tuple[int, ...] = ()  # the evidence catalogue's 序号 behind 落实情况
    gap_details: tuple[str, ...] = ()  # every gap line, when ``gaps`` prints a summary


@dataclass(frozen=True)
class LedgerSection:
    """Consecutive rows of one section: the 项目 cell merged over them."""

    section_id: str
    section_name: str
    rows: tuple[LedgerRow, ...]


@dataclass(frozen=True)
class LedgerDocument:
    """One unit's ledger. Rows of a section must be consecutive (their 项目 cell is merged)."""

    school_name: str
    unit_name: str
    filled_on: date
    period_label: str
    title: str
    rows: list[LedgerRow]
    attachment: str = DEFAULT_ATTACHMENT
    header_fields: tuple[str, ...] = DEFAULT_HEADER_FIELDS
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    _sections: tuple[LedgerSection, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.header_fields) != 3:
            raise ValueError(f"表头字段应为 3 个，实际为 {len(self.header_fields)} 个")
        if len(self.columns) != 5:
            raise ValueError(f"表格列应为 5 列，实际为 {len(self.columns)} 列")
        object.__setattr__(self, "_sections", _group(self.rows))

    @property
    def sections(self) -> tuple[LedgerSection, ...]:
        return self._sections

    @property
    def gap_annex(self) -> list[tuple[str, str, str]]:
        """The :data:`GAP_ANNEX` rows: (条目, 具体标准, one gap line) for every summarised cell."""
        return [(row.item_id, row.item_name, line) for row in self.rows for line in row.gap_details]

    @property
    def filled_on_text(self) -> str:
        """The date as the form writes it: 2026年12月20日."""
        return format_date(self.filled_on)

    @property
    def header_values(self) -> tuple[tuple[str, str], ...]:
        """(label, value) for 学校名称, 党总支（直属党支部）名称, 填表日期."""
        values = (self.school_name, self.unit_name, self.filled_on_text)
        return tuple(zip(self.header_fields, values, strict=True))


def format_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def empty_document(
    ledger: LedgerFile,
    *,
    school_name: str,
    unit_name: str,
    filled_on: date,
    period_label: str,
) -> LedgerDocument:
    """The form's skeleton: every item of ``ledger`` in order, nothing reported yet (待补充)."""
    rows = [
        LedgerRow(
            section_id=section.id,
            section_name=section.name,
            item_id=item.id,
            item_name=item.name,
            standard_text=item.standard,
        )
        for section in ledger.sections
        for item in section.items
    ]
    return LedgerDocument(
        school_name=school_name,
        unit_name=unit_name,
        filled_on=filled_on,
        period_label=period_label,
        title=ledger.form.title,
        rows=rows,
        attachment=ledger.form.attachment,
        header_fields=tuple(ledger.form.header_fields),
        columns=tuple(ledger.form.columns),
    )


def _group(rows: list[LedgerRow]) -> tuple[LedgerSection, ...]:
    groups: list[LedgerSection] = []
    for row in rows:
        if groups and groups[-1].section_id == row.section_id:
            last = groups[-1]
            groups[-1] = LedgerSection(last.section_id, last.section_name, (*last.rows, row))
            continue
        if any(group.section_id == row.section_id for group in groups):
            raise ValueError(f"第 {row.section_id} 部分的条目不连续（条目 {row.item_id}）")
        groups.append(LedgerSection(row.section_id, row.section_name, (row,)))
    return tuple(groups)
