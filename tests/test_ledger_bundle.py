"""The evidence bundle: the ledger, every evidence file behind it once per use, and an index."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
from sqlalchemy.orm import Session, sessionmaker
from tests.evidence_support import add_standing, add_to_task
from tests.factories import NOW
from tests.helpers import shipped_catalog
from tests.ledger_scenarios import TODAY, UNIT, YEAR, build_unit, tasks_due
from tests.storage_samples import PDF, png, word_document

from obligations.accounts.access import operator
from obligations.evidence import records as evidence
from obligations.evidence.intake import Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy, StandingTarget
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.ledger.bundle import INDEX_NAME, bundle_root, write_bundle
from obligations.ledger.period import calendar_year
from obligations.ledger.render_docx import render_docx
from obligations.ledger.service import ComposedLedger, compose_unit_ledger
from obligations.models import EvidenceFile, EvidenceRecord, Organization, Task
from obligations.settings import Settings

POLICY = EvidencePolicy(
    limits=UploadLimits.of(Settings().max_upload_mb, Settings().allowed_file_types)
)
SHARED = PDF + b"%shared minutes\n"  # the same content attached to two records: two uses


def upload(name: str, content: bytes) -> Upload:
    return Upload(name, io.BytesIO(content))


def record(
    session: Session, store: LocalBlobStore, task: Task, title: str, *files: Upload
) -> EvidenceRecord:
    held = min(task.period_start.replace(day=9), task.period_end)
    data = EvidenceInput(title=title, held_on=held)
    return add_to_task(
        session, store, POLICY, task_id=task.id, data=data, uploads=files, actor="测试", now=NOW
    )


def first(session: Session, unit: Organization, rule_id: str, key_end: str = "") -> Task:
    return next(t for t in tasks_due(session, unit, rule_id) if t.period_key.endswith(key_end))


def build(session: Session, store: LocalBlobStore) -> list[EvidenceRecord]:
    unit = build_unit(session)
    january = first(session, unit, "central-group-study", "-01")
    february = first(session, unit, "central-group-study", "-02")
    training = first(session, unit, "committee-training")
    kept = [
        record(
            session,
            store,
            january,
            "1月中心组学习",
            upload("会议记录.pdf", SHARED),
            upload("现场照片.png", png()),
        ),
        record(session, store, february, "2月中心组学习", upload("会议记录.pdf", SHARED)),
        record(session, store, training, "班子成员集中培训", upload("结业证书.pdf", PDF)),
        add_standing(
            session,
            store,
            POLICY,
            shipped_catalog(),
            target=StandingTarget(UNIT, "6.2", YEAR),
            data=EvidenceInput(title="班子分工：文件/通知", held_on=date(YEAR, 3, 2)),
            uploads=[upload("分工.docx", word_document())],
            actor="测试",
            now=NOW,
        ),
    ]
    withdrawn = record(
        session,
        store,
        first(session, unit, "staff-political-study", "-02"),
        "将被撤回的材料",
        upload("错误.pdf", PDF + b"%wrong\n"),
    )
    evidence.withdraw(
        session, record_id=withdrawn.id, reason="传错了", by=operator("测试"), now=NOW
    )
    return kept


def compose(session: Session) -> ComposedLedger:
    return compose_unit_ledger(
        session, shipped_catalog(), unit_code=UNIT, period=calendar_year(YEAR), today=TODAY
    )


def test_the_bundle_holds_every_file_once_per_use_byte_identical(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    with sessions.begin() as session:
        kept = build(session, store)
        expected = {(f.record_id, f.position): f.sha256 for r in kept for f in r.files}
    with sessions() as session:
        composed = compose(session)
        buffer = io.BytesIO()
        entries = write_bundle(
            buffer,
            composed,
            shipped_catalog(),
            store,
            docx=render_docx(composed.document),
        )
        files = {f.id: f for f in session.query(EvidenceFile)}
    assert sorted((e.use.record_id, e.use.position) for e in entries) == sorted(expected)
    archive = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    names = archive.namelist()
    # The ledger, the index as .xlsx and .csv, and the gaps' detail annex (this ledger has
    # summarised gaps: whole months of activities are missing).
    assert composed.document.gap_annex
    assert len(names) == len(set(names)) == len(entries) + 4
    annex = archive.read(f"{bundle_root(composed)}/差距明细.csv").decode("utf-8-sig")
    assert all(line in annex for _, _, line in composed.document.gap_annex)
    for entry in entries:
        with store.open(files[entry.use.file_id].sha256) as stored:
            assert archive.read(entry.path) == stored.read()
    root = "U10-机电工程学院直属党支部-2026年度"
    assert f"{root}/U10-机电工程学院直属党支部台账（2026年度）.docx" in names
    folders = {e.path.rsplit("/", 1)[0].removeprefix(root + "/") for e in entries}
    assert folders == {"2 班子队伍建设/2.4 自身建设", "6 工作运行机制/6.2 协调运行机制"}
    minutes = next(e for e in entries if e.use.record_title == "1月中心组学习")
    shared = [e.path for e in entries if e.use.sha256 == files[minutes.use.file_id].sha256]
    assert len(shared) == 2 and len(set(shared)) == 2
    assert f"{root}/2 班子队伍建设/2.4 自身建设/2026-01-09 1月中心组学习-会议记录.pdf" in names
    assert (
        f"{root}/6 工作运行机制/6.2 协调运行机制/2026-03-02 班子分工：文件_通知-分工.docx" in names
    )


def test_the_index_lists_each_file_with_its_task_and_date(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    with sessions.begin() as session:
        build(session, store)
    with sessions() as session:
        composed = compose(session)
        buffer = io.BytesIO()
        write_bundle(buffer, composed, shipped_catalog(), store, docx=b"docx")
    archive = zipfile.ZipFile(buffer)
    root = "U10-机电工程学院直属党支部-2026年度"
    text = archive.read(f"{root}/{INDEX_NAME}.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    # By item, then by rule (the committee's training comes first in the catalog), then date.
    assert [row["原文件名"] for row in rows] == [
        "结业证书.pdf",
        "会议记录.pdf",
        "现场照片.png",
        "会议记录.pdf",
        "分工.docx",
    ]
    assert [row["序号"] for row in rows] == ["1", "2", "3", "4", "5"]
    by_title = {(row["材料标题"], row["原文件名"]): row for row in rows}
    january = by_title[("1月中心组学习", "现场照片.png")]
    assert january["所属任务"] == "中心组理论学习（2026年1月）"
    assert (january["活动日期"], january["条目"]) == ("2026-01-09", "2.4")
    training = by_title[("班子成员集中培训", "结业证书.pdf")]
    assert training["所属任务"] == "班子成员集中培训（2026年度，张书记）"
    assert training["亦用于条目"] == "3.2"
    assert by_title[("班子分工：文件/通知", "分工.docx")]["所属任务"] == "常备材料"
    sheet = openpyxl.load_workbook(io.BytesIO(archive.read(f"{root}/{INDEX_NAME}.xlsx"))).active
    assert sheet is not None
    assert sheet.max_row == len(rows) + 1
