"""Temporary files live in the data directory's ``tmp/``, where verify and start-up sweep the
old ones a killed process left (a bundle download cut off), never the system's ``/tmp``."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from click.testing import CliRunner
from tests.test_web_admin_import import NEW, upload, workbook
from tests.web_support import WebWorld, web, world_template

from obligations.cli.main import cli
from obligations.ledger import formats as ledger_formats
from obligations.ledger import render_pdf
from obligations.ledger.errors import PdfConversionFailed
from obligations.scratch import new_scratch_file, scratch_dir
from obligations.settings import Settings
from obligations.web import admin_import
from obligations.web import ledger as web_ledger
from obligations.web.app import create_app

__all__ = ["web", "world_template"]

TWO_HOURS = 2 * 3600


def age(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_a_bundle_download_is_written_in_the_data_directory_and_removed_once_sent(
    web: WebWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    written: list[Path] = []
    original = web_ledger.write_bundle

    def spy(sink: BinaryIO, *args: Any, **kwargs: Any) -> Any:
        written.append(Path(sink.name))  # type: ignore[arg-type]
        return original(sink, *args, **kwargs)

    monkeypatch.setattr(web_ledger, "write_bundle", spy)
    client, _ = web.login("u01_viewer")

    response = client.get("/units/U01/ledger/2026/bundle.zip")

    assert response.status_code == 200
    [path] = written
    assert path.parent == scratch_dir(web.settings.data_dir)
    assert path.name.startswith("obligations-bundle-") and path.suffix == ".zip"
    assert not path.exists()  # removed once sent
    assert list(system_tmp.iterdir()) == []


def test_verify_and_start_up_remove_old_leftovers_and_keep_recent_and_foreign_files(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    assert CliRunner().invoke(cli, ["--data-dir", str(data_dir), "init"]).exit_code == 0
    scratch = scratch_dir(data_dir)
    killed = new_scratch_file(scratch, prefix="bundle-", suffix=".zip")
    killed.write_bytes(b"PK" * 500)
    age(killed, TWO_HOURS)
    folder = scratch / "obligations-import-x"
    folder.mkdir()
    (folder / "workbook.xlsx").write_bytes(b"x")
    age(folder, TWO_HOURS)
    in_use = new_scratch_file(scratch, prefix="bundle-", suffix=".zip")
    foreign = scratch / "notes.txt"  # not ours: left alone
    foreign.write_text("x")
    age(foreign, TWO_HOURS)

    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "verify"])

    assert result.exit_code == 0, result.output
    assert f"{killed.name}（1000 字节）" in result.output
    assert sorted(p.name for p in scratch.iterdir()) == sorted([in_use.name, "notes.txt"])
    at_start = age(new_scratch_file(scratch, prefix="bundle-", suffix=".zip"), TWO_HOURS)
    create_app(Settings(data_dir=data_dir))
    assert not at_start.exists() and in_use.exists()


def test_a_pdf_conversion_works_in_the_scratch_folder_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outdirs: list[Path] = []

    def run(command: list[str], env: dict[str, str], timeout: float) -> str:
        outdirs.append(Path(command[command.index("--outdir") + 1]))
        return "killed"  # as if LibreOffice died: no PDF

    monkeypatch.setattr(render_pdf, "find_converter", lambda path=None: "soffice")
    monkeypatch.setattr(render_pdf, "_run", run)
    scratch = tmp_path / "data" / "tmp"

    with pytest.raises(PdfConversionFailed):
        render_pdf.docx_to_pdf(b"docx", scratch=scratch)

    [outdir] = outdirs
    assert outdir.parent.parent == scratch and outdir.parent.name.startswith("obligations-pdf-")
    assert list(scratch.iterdir()) == []


def test_an_uploaded_workbook_is_kept_in_the_data_directory_while_it_is_imported(
    web: WebWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Path] = []
    original = admin_import.import_path

    def spy(db: Any, path: Path, **kwargs: Any) -> Any:
        seen.append(path)
        return original(db, path, **kwargs)

    monkeypatch.setattr(admin_import, "import_path", spy)

    response = upload(web, workbook(NEW))

    assert response.status_code == 200, response.text[:300]
    [path] = seen
    assert path.parent.parent == scratch_dir(web.settings.data_dir)
    assert path.parent.name.startswith("obligations-import-")
    assert not path.parent.exists()


def test_the_web_pdf_download_converts_in_the_data_directory(
    web: WebWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders: list[Path | None] = []

    def convert(docx: bytes, *, scratch: Path | None = None) -> bytes:
        folders.append(scratch)
        return b"%PDF-1.4"

    monkeypatch.setattr(ledger_formats, "docx_to_pdf", convert)
    client, _ = web.login("u01_viewer")

    response = client.get("/units/U01/ledger/2026.pdf")

    assert response.status_code == 200 and response.content == b"%PDF-1.4"
    assert folders == [scratch_dir(web.settings.data_dir)]
