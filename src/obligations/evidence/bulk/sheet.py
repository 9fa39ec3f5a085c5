"""The proposals as a reviewable sheet (CSV or XLSX) and back: a person marks 确认 “是” on the
rows to record (the confident ones come marked), corrects a task number, date, title, kind or
count where needed, and hands the file to ``evidence intake --apply``. The 记录组 column shows
which files make one record (same task or item, same date: :mod:`.grouping`); it is not read
back: the confirmed task and date decide, so a corrected row leaves its group.

Every text cell goes through :mod:`obligations.spreadsheet` (never a formula); reading back
takes off the CSV guard's leading quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from obligations.errors import InvalidRequest, os_error_text
from obligations.evidence.bulk.matching import Proposal
from obligations.spreadsheet import csv_row, neutralise_workbook
from obligations.vocabulary import EvidenceKind

CONFIRM = "确认"
HEADERS = [
    CONFIRM, "文件", "记录组", "任务编号", "规则", "台账条目", "支部", "人员", "周期", "活动日期",
    "标题", "材料类型", "参加人数", "置信度", "理由", "重复", "SHA-256", "单位", "来源",
]  # fmt: skip
REQUIRED = [CONFIRM, "文件", "任务编号", "台账条目", "活动日期", "标题", "材料类型", "单位", "来源"]
YES = frozenset({"是", "y", "yes", "1", "√", "✓", "✔", "true", "确认"})
_WIDTHS = [6, 40, 7, 9, 24, 8, 10, 8, 12, 12, 40, 10, 8, 7, 60]  # columns A to O, in characters
_KINDS = {k.label: k for k in EvidenceKind} | {k.value: k for k in EvidenceKind}


@dataclass(frozen=True)
class Confirmed:
    """The confirmed rows of a sheet, with the unit and the folder or archive they came from."""

    unit_code: str
    source: Path
    rows: list[Proposal]


def _cells(p: Proposal, *, unit_code: str, source: Path, accept_above: float) -> list[Any]:
    confirm = p.task_id is not None and not p.duplicate and p.confidence >= accept_above
    return [
        "是" if confirm else "", p.file, p.group, p.task_id, p.rule_id or "", p.ledger_item or "",
        p.branch_code or "", p.person_code or "", p.period_key or "",
        p.held_on.isoformat() if p.held_on else "", p.title, p.kind.label, p.participants,
        p.confidence, "；".join(p.reasons), p.duplicate or "", p.sha256, unit_code, str(source),
    ]  # fmt: skip


def write(
    path: Path,
    proposals: Sequence[Proposal],
    *,
    unit_code: str,
    source: Path,
    accept_above: float = 0.9,
) -> None:
    """Write the sheet as CSV or XLSX (by ``path``'s extension); raises ``InvalidRequest``
    for another extension."""
    rows = [
        _cells(p, unit_code=unit_code, source=source.resolve(), accept_above=accept_above)
        for p in proposals
    ]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADERS)
            writer.writerows(csv_row(["" if v is None else v for v in row]) for row in rows)
    elif suffix == ".xlsx":
        from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = "建议"
        sheet.append(HEADERS)
        for row in rows:
            sheet.append(row)
        for letter, width in zip("ABCDEFGHIJKLMNO", _WIDTHS, strict=True):
            sheet.column_dimensions[letter].width = width
        sheet.freeze_panes = "C2"
        neutralise_workbook(workbook)
        workbook.save(path)
    else:
        raise InvalidRequest(f"建议表只能保存为 .csv 或 .xlsx，不是“{path.name}”")


def read_confirmed(path: Path) -> Confirmed:
    """The rows marked 确认 of a sheet written by :func:`write` (and edited by a person).
    Raises ``InvalidRequest`` naming the row and column of the first problem."""
    table = _table(path)
    if not table:
        raise InvalidRequest(f"{path.name} 是空表")
    header = [str(h or "").strip() for h in table[0]]
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        raise InvalidRequest(f"{path.name} 缺少列：{'、'.join(missing)}（请用生成的建议表）")
    rows: list[Proposal] = []
    places: set[tuple[str, str]] = set()
    for number, values in enumerate(table[1:], start=2):
        cell = dict(zip(header, [_text(v) for v in values], strict=False))
        if cell.get(CONFIRM, "").lower() not in YES:
            continue
        places.add((cell["单位"], cell["来源"]))
        rows.append(_row(cell, number))
    if len(places) > 1:
        raise InvalidRequest("确认的行来自不同的单位或来源，请分开登记")
    if not rows:
        raise InvalidRequest(f"{path.name} 中没有标记“确认”为“是”的行")
    unit_code, source = places.pop()
    return Confirmed(unit_code, Path(source), rows)


def _table(path: Path) -> list[list[Any]]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gb18030")  # saved again by Excel on Chinese Windows
            return [list(r) for r in csv.reader(io.StringIO(text))]
        if suffix == ".xlsx":
            from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]

            workbook = load_workbook(path, read_only=True, data_only=True)
            try:
                return [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
            finally:
                workbook.close()
    except OSError as exc:
        raise InvalidRequest(f"无法读取建议表 {path.name}：{os_error_text(exc)}") from exc
    except (UnicodeDecodeError, ValueError, KeyError) as exc:
        raise InvalidRequest(
            f"无法读取建议表 {path.name}：文件已损坏或不是 .csv/.xlsx 表格"
            "（CSV 应为 UTF-8 或 GB18030 编码）"
        ) from exc
    raise InvalidRequest(f"建议表应为 .csv 或 .xlsx，不是“{path.name}”")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text[1:] if text.startswith("'") else text


def _row(cell: dict[str, str], number: int) -> Proposal:
    def fail(column: str, what: str) -> InvalidRequest:
        return InvalidRequest(f"第 {number} 行“{column}”{what}")

    task = cell.get("任务编号", "")
    if task and not task.isdigit():
        raise fail("任务编号", f"应为数字，不是“{task}”")
    item = cell.get("台账条目", "")
    if not task and not item:
        raise fail("任务编号", "为空：请填写任务编号，或台账条目（常备材料）")
    try:
        held = date.fromisoformat(cell.get("活动日期", ""))
    except ValueError:
        raise fail("活动日期", f"应为 YYYY-MM-DD，不是“{cell.get('活动日期', '')}”") from None
    kind = _KINDS.get(cell.get("材料类型", ""))
    if kind is None:
        raise fail("材料类型", f"应为{'、'.join(k.label for k in EvidenceKind)}之一")
    count = cell.get("参加人数", "")
    if count and not count.isdigit():
        raise fail("参加人数", f"应为整数，不是“{count}”")
    return Proposal(
        file=cell["文件"],
        task_id=int(task) if task else None,
        ledger_item=item or None,
        held_on=held,
        title=cell.get("标题", ""),
        kind=kind,
        participants=int(count) if count else None,
        confidence=_confidence(cell.get("置信度", "")),
        sha256=cell.get("SHA-256", ""),
    )


def _confidence(text: str) -> float:
    """The proposal's confidence as written (it only orders a record's files), 0 if unclear."""
    try:
        return min(1.0, max(0.0, float(text)))
    except ValueError:
        return 0.0
