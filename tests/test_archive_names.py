"""Every archive the project writes extracts on Linux: no path component over 255 bytes.

Long Chinese titles and file names with emoji (3 and 4 bytes a character in UTF-8) go into the
export, the evidence bundle and the backup; each is extracted with Python's zipfile/tarfile
and with ``unzip``, keeping every file, its extension and its bytes.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from tests.factories import NOW
from tests.helpers import shipped_catalog
from tests.ledger_scenarios import TODAY, UNIT
from tests.test_ledger_bundle import build, compose

from obligations.archivenames import cut_to_bytes, fit_file_name, fit_text
from obligations.evidence.storage import LocalBlobStore
from obligations.ledger.bundle import write_bundle
from obligations.models import EvidenceFile, EvidenceRecord, Organization
from obligations.safety.backup import backup
from obligations.safety.export import export_unit

# 246 characters, 778 bytes: the name the upload limit once let through.
LONG = "会议记录😀" * 48 + "纪要"
UNZIP = shutil.which("unzip")


def lengthen(session: Session) -> int:
    """Give the unit a long name, every record a long title (emoji: 4 bytes a character)
    and every file a long name, differing only at its end. Returns the number of files."""
    unit = session.scalars(select(Organization).where(Organization.code == UNIT)).one()
    unit.name = "机电工程学院" * 20  # 120 characters, 360 bytes
    for record in session.scalars(select(EvidenceRecord)):
        record.title = "关于" + "😀" * 198  # the column holds 200 characters
    files = session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)).all()
    for n, file in enumerate(files):
        extension = PurePosixPath(file.original_name).suffix
        file.original_name = f"{LONG}{n}{extension}"
    return len(files)


def check_components(names: list[str]) -> None:
    too_long = [n for n in names for part in n.split("/") if len(part.encode()) > 255]
    assert too_long == []


def extract_everywhere(archive: Path, tmp_path: Path) -> list[Path]:
    """Extract with Python and with unzip; the files Python extracted."""
    python_dir, unzip_dir = tmp_path / f"{archive.stem}-py", tmp_path / f"{archive.stem}-unzip"
    with zipfile.ZipFile(archive) as opened:
        check_components(opened.namelist())
        opened.extractall(python_dir)
        count = sum(1 for info in opened.infolist() if not info.is_dir())
    extracted = sorted(p for p in python_dir.rglob("*") if p.is_file())
    assert len(extracted) == count
    if UNZIP:
        subprocess.run([UNZIP, "-qq", str(archive), "-d", str(unzip_dir)], check=True)
        assert sum(1 for p in unzip_dir.rglob("*") if p.is_file()) == count
    return extracted


def test_export_bundle_and_backup_extract_with_long_chinese_and_emoji_names(
    committed_sessions: sessionmaker[Session], engine: Engine, tmp_path: Path
) -> None:
    sessions = committed_sessions  # the backup reads the database through its own connection
    store = LocalBlobStore(tmp_path / "data" / "evidence")
    with sessions.begin() as session:
        build(session, store)
        files = lengthen(session)
    with sessions() as session:
        composed = compose(session)
        with (tmp_path / "bundle.zip").open("wb") as sink:
            entries = write_bundle(sink, composed, shipped_catalog(), store, docx=b"docx")
        export_unit(session, shipped_catalog(), store, unit_code=UNIT,
                    output=tmp_path / "export.zip", today=TODAY, due_soon_days=7)  # fmt: skip
    backup(engine, store.root, tmp_path / "backup.tar", now=NOW)

    in_bundle = extract_everywhere(tmp_path / "bundle.zip", tmp_path)
    in_export = extract_everywhere(tmp_path / "export.zip", tmp_path)
    with tarfile.open(tmp_path / "backup.tar") as tar:
        check_components(tar.getnames())
        tar.extractall(tmp_path / "backup", filter="data")

    # The ledger, the index as XLSX and CSV, and the gaps annex when a cell prints a summary.
    annex = [p for p in in_bundle if p.name == "差距明细.csv"]
    assert len(annex) == (1 if composed.document.gap_annex else 0)
    assert len(in_bundle) == len(entries) + 3 + len(annex)
    evidence = [p for p in in_bundle if p.name.startswith("2026-")]
    assert len({p.name for p in evidence}) == len(entries)  # cut names stay apart
    assert sorted(p.suffix for p in evidence) == sorted(
        PurePosixPath(e.use.original_name).suffix for e in entries
    )
    exported = [p for p in in_export if "files" in p.parts]
    assert len(exported) == files  # the withdrawn record's file included
    assert all(p.suffix in (".pdf", ".png", ".docx") for p in exported)


@pytest.mark.parametrize(
    "name", ["报告.pdf", LONG + ".pdf", "😀" * 70 + ".docx", "a" * 300, "表" * 90 + ".很长的扩展名"]
)
def test_a_fitted_name_keeps_its_extension_and_whole_characters(name: str) -> None:
    fitted = fit_file_name(name)
    marked = fit_file_name(name, marker="（12）")
    assert len(fitted.encode()) <= 255 and len(marked.encode()) <= 255
    assert name.startswith(fitted.removesuffix(PurePosixPath(name).suffix)) or fitted == name
    assert marked.endswith("（12）" + PurePosixPath(fitted).suffix)
    if len(name.encode()) <= 255:
        assert fitted == name


def test_text_is_cut_between_characters_and_a_folder_name_never_ends_in_a_dot() -> None:
    assert cut_to_bytes("汉字", 4) == "汉"
    assert cut_to_bytes("👍🏽x", 5) == "👍"
    assert cut_to_bytes("a\u200db", 2) == "a"
    assert fit_text("党支部 . " + "字" * 100, 12) == "党支部"
