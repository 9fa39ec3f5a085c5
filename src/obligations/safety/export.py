"""Everything of one unit in open formats (JSON, CSV and the files), for handing over or
archiving: the unit with its branches and role holders, its tasks with their states, its
evidence records with every file, and its audit trail.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from obligations.archivenames import fit_file_name, fit_text
from obligations.audit import list_audit, plain
from obligations.errors import InvalidRequest
from obligations.evidence.records import list_records
from obligations.evidence.storage import BlobStore, copy_verified
from obligations.ledger.render_docx import render_docx
from obligations.ledger.service import ledger_document_for
from obligations.lookup import find_unit
from obligations.models import (
    EvidenceFile,
    EvidenceRecord,
    Organization,
    RoleAssignment,
    Task,
)
from obligations.rules.catalog import Catalog
from obligations.scratch import replacing
from obligations.spreadsheet import csv_record
from obligations.tasks.listing import TaskFilter, TaskOrder, list_tasks
from obligations.tasks.status import TaskStatus
from obligations.timeutil import LOCAL_TZ

# A ledger maker: (session, unit code, year) -> (file name, bytes).
LedgerMaker = Callable[[Session, str, int], tuple[str, bytes]]

# Characters a file name in a ZIP must not carry on common systems.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def docx_ledgers(catalog: Catalog, template: Path, today: date) -> LedgerMaker:
    """The year's ledger of a unit in the college's Word form, as the ledger command makes it."""

    def make(session: Session, unit_code: str, year: int) -> tuple[str, bytes]:
        document = ledger_document_for(session, catalog, unit_code, year, today)
        return f"{unit_code}-{year}年台账.docx", render_docx(document, template)

    return make


def ledger_years(session: Session, unit_code: str, today: date) -> list[int]:
    """The calendar years, up to this one, in which the unit had tasks falling due."""
    unit = aliased(Organization)
    years = session.scalars(
        select(Task.due_on)
        .join(unit, Task.unit_id == unit.id)
        .where(unit.code == unit_code, Task.due_on <= date(today.year, 12, 31))
        .order_by(Task.due_on)
    )
    return sorted({day.year for day in years})


@dataclass(frozen=True)
class ExportReport:
    path: Path
    tasks: int
    records: int
    files: int
    ledgers: int


def export_unit(
    session: Session,
    catalog: Catalog,
    store: BlobStore,
    *,
    unit_code: str,
    output: Path,
    today: date,
    due_soon_days: int,
    ledger_years: Iterable[int] = (),
    make_ledger: LedgerMaker | None = None,
) -> ExportReport:
    unit = find_unit(session, unit_code)
    output = output.resolve()
    if output.suffix.lower() != ".zip":
        raise InvalidRequest(f"导出文件名应以 .zip 结尾，不是 {output.name}")
    tasks = list_tasks(  # every state, retired tasks included: they are history
        session,
        TaskFilter(unit_id=unit.id, statuses=list(TaskStatus)),
        today=today,
        due_soon_days=due_soon_days,
        order=TaskOrder.DUE_BY_UNIT,
        titles={located.rule.id: located.rule.title for located in catalog.rules},
    )
    records = list_records(session, unit_code=unit_code)
    output.parent.mkdir(parents=True, exist_ok=True)
    files = ledgers = 0
    with (
        replacing(output) as temporary,
        zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        _json(archive, "unit.json", _unit(session, unit))
        task_rows = [v.as_json() for v in tasks]
        _json(archive, "tasks.json", task_rows)
        _csv(archive, "tasks.csv", task_rows)
        record_rows = []
        for record in records:
            record_rows.append(_record(record))
            for file in record.files:
                name = f"files/{_folder(record)}/{_file_name(file)}"
                entry = zipfile.ZipInfo(name, _stamp(record.recorded_at))
                entry.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(entry, "w") as out:
                    copy_verified(store, file.sha256, out, name=file.original_name)
                record_rows[-1]["files"][file.position - 1]["path"] = name
                files += 1
        _json(archive, "evidence.json", record_rows)
        _csv(archive, "evidence.csv", [_flat(r) for r in record_rows])
        trail = [e.as_json() for e in list_audit(session, unit_code=unit_code)]
        _json(archive, "audit.json", trail)
        if make_ledger is not None:
            for year in ledger_years:
                ledger_name, ledger = make_ledger(session, unit_code, year)
                archive.writestr(f"ledgers/{fit_file_name(_safe(ledger_name))}", ledger)
                ledgers += 1
        archive.writestr("README.txt", _readme(unit, today))
    return ExportReport(output, len(tasks), len(records), files, ledgers)


def _unit(session: Session, unit: Organization) -> dict[str, Any]:
    branches = session.scalars(
        select(Organization).where(Organization.parent_id == unit.id).order_by(Organization.code)
    ).all()
    orgs = [unit, *branches]
    holdings = session.scalars(
        select(RoleAssignment)
        .where(RoleAssignment.organization_id.in_([o.id for o in orgs]))
        .order_by(RoleAssignment.organization_id, RoleAssignment.role, RoleAssignment.start_on)
    ).all()
    codes = {o.id: o.code for o in orgs}
    data: dict[str, Any] = plain(
        {
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "member_count": unit.member_count,
            "term_start": unit.term_start,
            "term_years": unit.term_years,
            "branches": [{"code": b.code, "name": b.name} for b in branches],
            "roles": [
                {
                    "organization": codes[h.organization_id],
                    "role": h.role,
                    "role_label": h.role.label,
                    "person": h.person.code,
                    "name": h.person.name,
                    "email": h.person.email,
                    "mobile": h.person.mobile,
                    "start_on": h.start_on,
                    "end_on": h.end_on,
                }
                for h in holdings
            ],
        }
    )
    return data


def _record(record: EvidenceRecord) -> dict[str, Any]:
    data: dict[str, Any] = plain(
        {
            "id": record.id,
            "task_id": record.task_id,
            "ledger_item": record.ledger_item,
            "year": record.year,
            "title": record.title,
            "held_on": record.held_on,
            "kind": record.kind,
            "participants": record.participants,
            "hours": record.hours,
            "notes": record.notes,
            "recorded_by": record.recorded_by,
            "recorded_at": record.recorded_at,
            "review_state": record.review_state,
            "review_reason": record.review_reason,
            "withdrawn_at": record.withdrawn_at,
            "withdrawn_reason": record.withdrawn_reason,
            "files": [
                {"name": f.original_name, "size": f.size, "sha256": f.sha256, "path": None}
                for f in record.files
            ],
        }
    )
    return data


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "files": "；".join(f["path"] for f in row["files"])}


def _folder(record: EvidenceRecord) -> str:
    """``1.3/12-2026-03-09-title``: unique by the record's id, at most 255 bytes a component."""
    title = fit_text(f"{record.id}-{record.held_on.isoformat()}-{_safe(record.title)}")
    return f"{_safe(record.ledger_item)}/{title}"


def _file_name(file: EvidenceFile) -> str:
    """``2-original.pdf``: unique by the file's position in its record, at most 255 bytes."""
    return fit_file_name(f"{file.position}-{_safe(file.original_name)}")


def _stamp(instant: datetime) -> tuple[int, int, int, int, int, int]:
    local = instant.astimezone(LOCAL_TZ)
    return (local.year, local.month, local.day, local.hour, local.minute, local.second)


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip(" .") or "_"


def _json(archive: zipfile.ZipFile, name: str, data: object) -> None:
    archive.writestr(name, json.dumps(data, ensure_ascii=False, indent=2, default=_default))


def _csv(archive: zipfile.ZipFile, name: str, rows: list[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(csv_record(row) for row in rows)
    # A byte-order mark so Excel opens the Chinese text as UTF-8.
    archive.writestr(name, "\ufeff" + buffer.getvalue())


def _default(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _readme(unit: Organization, today: date) -> str:
    return (
        f"{unit.name}（{unit.code}）资料导出，导出日期 {today}。\n"
        "unit.json：单位、所属党支部与任职情况\n"
        "tasks.json / tasks.csv：各项任务及导出日的状态\n"
        "evidence.json / evidence.csv：佐证材料记录（含已撤回的）\n"
        "files/：佐证材料文件，按台账条目和材料分文件夹\n"
        "audit.json：操作日志\n"
        "ledgers/：年度台账（如有）\n"
    )
