"""The evidence bundle: one ZIP with the ledger, every evidence file behind it and an index.

Layout (names readable in Chinese, folders by section then item)::

    U01-机电学院党总支-2026年度/
        U01-机电学院党总支台账（2026年度）.docx
        佐证材料目录.xlsx, 佐证材料目录.csv
        差距明细.csv (only if a gaps cell prints a summary: its lines in full)
        1 党的组织设置/1.2 设置调整/2026-03-09 支部设置摸底-摸底表.pdf

Each use of a file (an evidence file row of a record behind the ledger) appears exactly once,
byte for byte as stored: files are streamed from the blob store, never re-encoded. The
catalogue's 序号 are the composed ledger's (:mod:`obligations.ledger.catalogue`), the numbers
its cells cite (目录第12—23项), in the bundle and in every download of the ledger alike.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
from openpyxl.styles import Font  # type: ignore[import-untyped, unused-ignore]

from obligations.archivenames import fit_file_name, fit_text
from obligations.evidence.storage import BlobStore, copy_verified
from obligations.ledger.catalogue import EvidenceUse
from obligations.ledger.document import GAP_ANNEX, GAP_ANNEX_COLUMNS
from obligations.ledger.service import ComposedLedger
from obligations.rules.catalog import Catalog
from obligations.spreadsheet import csv_row, neutralise_workbook

INDEX_NAME = "佐证材料目录"
INDEX_COLUMNS = (
    "序号",
    "条目",
    "条目名称",
    "包内文件",
    "原文件名",
    "材料标题",
    "所属任务",
    "亦用于条目",
    "活动日期",
    "登记日期",
    "审核状态",
    "大小（字节）",
    "SHA-256",
)
MAX_STEM = 80
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


@dataclass(frozen=True)
class BundleEntry:
    path: str  # inside the ZIP
    use: EvidenceUse
    number: int  # 序号 in the catalogue, as the ledger's cells cite it


def bundle_root(composed: ComposedLedger) -> str:
    return safe_name(f"{composed.unit_code}-{composed.unit_name}-{composed.period.label}")


def ledger_file_name(composed: ComposedLedger, extension: str) -> str:
    name = safe_name(f"{composed.unit_code}-{composed.unit_name}台账（{composed.period.label}）")
    return fit_file_name(f"{name}.{extension}")


def plan_entries(composed: ComposedLedger, catalog: Catalog) -> list[BundleEntry]:
    """Where each file use goes in the bundle, in the catalogue's order and with its 序号."""
    root = bundle_root(composed)
    folders = {
        item.id: safe_name(f"{section.id} {section.name}")
        + "/"
        + safe_name(f"{item.id} {item.name}")
        for section in catalog.ledger.sections
        for item in section.items
    }
    taken: set[str] = set()
    entries = []
    for row in composed.catalogue:
        use = row.use
        folder = folders.get(use.item_id, safe_name(f"其他 {use.item_id}"))
        path = _unique(f"{root}/{folder}", _file_name(use), taken)
        entries.append(BundleEntry(path, use, row.number))
    return entries


def write_bundle(
    target: BinaryIO,
    composed: ComposedLedger,
    catalog: Catalog,
    store: BlobStore,
    *,
    docx: bytes,
) -> list[BundleEntry]:
    """Write the ZIP to ``target``; return what went in (one entry per file use)."""
    root = bundle_root(composed)
    entries = plan_entries(composed, catalog)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{root}/{ledger_file_name(composed, 'docx')}", docx)
        archive.writestr(f"{root}/{INDEX_NAME}.xlsx", index_xlsx(entries, root))
        archive.writestr(f"{root}/{INDEX_NAME}.csv", index_csv(entries, root))
        annex = composed.document.gap_annex
        if annex:
            archive.writestr(f"{root}/{GAP_ANNEX}.csv", gap_annex_csv(annex))
        for entry in entries:
            with archive.open(entry.path, "w") as sink:
                copy_verified(store, entry.use.sha256, sink, name=entry.use.original_name)
    return entries


def index_rows(entries: list[BundleEntry], root: str) -> list[list[object]]:
    return [
        [
            e.number,
            e.use.item_id,
            _item_folder_name(e.path, root),
            e.path.removeprefix(f"{root}/"),
            e.use.original_name,
            e.use.record_title,
            e.use.use,
            "、".join(e.use.also_items),
            e.use.held_on.isoformat(),
            e.use.recorded_on.isoformat(),
            e.use.review_state.label,
            e.use.size,
            e.use.sha256,
        ]
        for e in entries
    ]


def index_csv(entries: list[BundleEntry], root: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(INDEX_COLUMNS)
    writer.writerows(csv_row(row) for row in index_rows(entries, root))
    return buffer.getvalue().encode("utf-8-sig")  # Excel on Windows opens it as UTF-8


def gap_annex_csv(annex: list[tuple[str, str, str]]) -> bytes:
    """The gap lines summarised in the ledger's cells, one a row (条目, 具体标准, 差距明细)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(GAP_ANNEX_COLUMNS)
    writer.writerows(csv_row(row) for row in annex)
    return buffer.getvalue().encode("utf-8-sig")


def index_xlsx(entries: list[BundleEntry], root: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = INDEX_NAME
    sheet.append(list(INDEX_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(name="黑体", bold=True)
    for row in index_rows(entries, root):
        sheet.append(row)
    widths = (6, 6, 24, 60, 28, 30, 36, 10, 12, 12, 10, 12, 20)
    for column, width in zip("ABCDEFGHIJKLM", widths, strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    neutralise_workbook(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def safe_name(text: str) -> str:
    """A path component: no separators or characters Windows refuses, at most 120 characters
    and 255 bytes of UTF-8 (what Linux file systems hold)."""
    cleaned = _UNSAFE.sub("_", text).strip(" .")
    return fit_text(cleaned[:120])


def _file_name(use: EvidenceUse) -> str:
    """2026-03-09 3月支部委员会会议记录-签到表.pdf: the activity's date, title and file."""
    original = PurePosixPath(use.original_name)
    suffix = original.suffix if 1 < len(original.suffix) <= 10 else ""
    stem = safe_name(f"{use.held_on.isoformat()} {use.record_title}-{original.stem}"[:MAX_STEM])
    return fit_file_name(stem + _UNSAFE.sub("_", suffix))


def _unique(folder: str, name: str, taken: set[str]) -> str:
    """``folder/name``, or ``folder/name（2）.ext`` and so on if taken; each within 255 bytes."""
    candidate, number = f"{folder}/{name}", 1
    while candidate in taken:
        number += 1
        candidate = f"{folder}/{fit_file_name(name, marker=f'（{number}）')}"
    taken.add(candidate)
    return candidate


def _item_folder_name(path: str, root: str) -> str:
    parts = path.removeprefix(f"{root}/").split("/")
    return parts[1] if len(parts) > 2 else ""
