"""A full disk refuses an upload cleanly: a Chinese message (the web 507 Insufficient Storage on
the page where it happened, the form kept; the CLI exit 1, no traceback) and nothing
half-written: no record, no object, no temporary file.

The evidence folder is a 2 MiB tmpfs of its own, so the disk really fills.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import func, select
from tests.storage_samples import PDF
from tests.web_support import FAST_HASHER, NOW, WebWorld, make_web_world, world_template

from obligations.accounts import users as accounts
from obligations.cli.main import cli
from obligations.models import EvidenceFile, EvidenceRecord
from obligations.scratch import scratch_dir

__all__ = ["world_template"]

MIB = 1024 * 1024
FULL = "服务器存储空间不足"
FIELDS = {"title": "十月支部党员大会", "held_on": "2026-10-20", "notes": "会议记录及照片"}
MORE = {"kind": "photos", "participants": "15", "hours": "1.5"}


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A data directory whose evidence folder is a 2 MiB tmpfs."""
    data_dir = tmp_path / "data"
    evidence = data_dir / "evidence"
    evidence.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(evidence)], check=True)
    try:
        yield data_dir
    finally:
        subprocess.run(["umount", "-l", str(evidence)], check=True)


@pytest.fixture
def web(
    world_template: tuple[Path, dict[str, int]], tiny_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WebWorld]:
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    yield from make_web_world(world_template, tiny_disk, max_upload_mb=8)


def pdf(size: int) -> bytes:
    """``size`` bytes a type check accepts as a PDF (random: nothing can shrink it)."""
    return PDF + os.urandom(size - len(PDF))


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def disk_state(evidence: Path) -> tuple[list[str], list[str], int]:
    """The stored objects, the temporary files and the free space."""
    objects = sorted(p.name for p in (evidence / "objects").rglob("*") if p.is_file())
    temporary = sorted(p.name for p in (evidence / "tmp").iterdir())
    return objects, temporary, free_bytes(evidence)


def record_counts(web: WebWorld) -> tuple[int, int]:
    with web.sessions() as db:
        records = db.scalar(select(func.count()).select_from(EvidenceRecord))
        files = db.scalar(select(func.count()).select_from(EvidenceFile))
    return int(records or 0), int(files or 0)


def too_much(evidence: Path) -> dict[str, list[tuple[str, bytes]]]:
    """Uploads the disk cannot hold: one file past the free space; two files each of which
    fits but not both (the first stored, then the second fills the disk)."""
    free = free_bytes(evidence)
    return {
        "one file past the free space": [("大文件.pdf", pdf(free + MIB))],
        "the second of two files": [
            ("记录.pdf", pdf(free * 6 // 10)),
            ("照片.pdf", pdf(free * 6 // 10)),
        ],
    }


CASES = ["one file past the free space", "the second of two files"]


@pytest.mark.parametrize("case", CASES)
def test_a_full_disk_answers_the_upload_page_with_507_and_keeps_the_form(
    web: WebWorld, case: str
) -> None:
    evidence = web.settings.evidence_dir
    uploads = too_much(evidence)[case]
    before, on_disk = record_counts(web), disk_state(evidence)
    client, csrf = web.login("b1_secretary")
    task = web.ids["task_b1"]
    response = client.post(
        f"/tasks/{task}/evidence",
        data={"csrf_token": csrf, **FIELDS, **MORE},
        files=[("files", (name, content, "application/pdf")) for name, content in uploads],
    )
    assert response.status_code == 507 and FULL in response.text
    assert f'action="/tasks/{task}/evidence"' in response.text  # the task's own page
    for name, value in (FIELDS | MORE).items():  # what was typed is still there
        assert f'value="{value}"' in response.text or f">{value}</textarea>" in response.text, name
    assert f'value="{MORE["kind"]}" selected' in response.text
    assert record_counts(web) == before and disk_state(evidence) == on_disk


@pytest.mark.parametrize("case", CASES)
def test_a_full_disk_answers_the_api_upload_with_507(web: WebWorld, case: str) -> None:
    evidence = web.settings.evidence_dir
    uploads = too_much(evidence)[case]
    before, on_disk = record_counts(web), disk_state(evidence)
    response = web.api("b1_secretary").post(
        f"/api/tasks/{web.ids['task_b1']}/evidence",
        data=FIELDS,
        files=[("files", (name, content, "application/pdf")) for name, content in uploads],
    )
    assert response.status_code == 507 and FULL in response.json()["detail"]
    assert record_counts(web) == before and disk_state(evidence) == on_disk


@pytest.mark.parametrize("case", CASES)
def test_a_full_disk_makes_evidence_add_exit_1_with_a_message_and_nothing_kept(
    world_template: tuple[Path, dict[str, int]], tiny_disk: Path, tmp_path: Path, case: str
) -> None:
    for world in make_web_world(world_template, tiny_disk, max_upload_mb=8):
        evidence = world.settings.evidence_dir
        paths = []
        for name, content in too_much(evidence)[case]:
            paths.append(tmp_path / name)
            paths[-1].write_bytes(content)
        before, on_disk = record_counts(world), disk_state(evidence)
        with freeze_time(NOW, tick=True):
            result = CliRunner(env={"OBLIGATIONS_USER": "组织部"}).invoke(
                cli,
                ["--data-dir", str(tiny_disk), "evidence", "add", str(world.ids["task_b1"]),
                 *map(str, paths), "--held-on", FIELDS["held_on"], "--title", FIELDS["title"]],
            )  # fmt: skip
        assert result.exit_code == 1, result.output
        assert FULL in result.output and "Traceback" not in result.output
        assert not isinstance(result.exception, OSError)
        assert record_counts(world) == before and disk_state(evidence) == on_disk


@pytest.fixture
def tiny_scratch(
    world_template: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WebWorld]:
    """The web world with its scratch folder (where uploaded workbooks land) a 2 MiB tmpfs."""
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    data_dir = tmp_path / "data"
    scratch = scratch_dir(data_dir)
    scratch.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(scratch)], check=True)
    try:
        yield from make_web_world(world_template, data_dir)
    finally:
        subprocess.run(["umount", "-l", str(scratch)], check=True)


def test_a_full_disk_answers_the_workbook_import_with_507_on_its_page_and_keeps_nothing(
    tiny_scratch: WebWorld,
) -> None:
    scratch = scratch_dir(tiny_scratch.settings.data_dir)
    workbook = os.urandom(free_bytes(scratch) + MIB)  # under the 10 MiB workbook limit
    client, csrf = tiny_scratch.login("admin")
    response = client.post(
        "/admin/import",
        data={"csrf_token": csrf, "dry_run": "1"},
        files=[("file", ("组织人员.xlsx", workbook, "application/octet-stream"))],
    )
    assert response.status_code == 507 and FULL in response.text
    assert 'action="/admin/import"' in response.text  # the import page, its form again
    assert list(scratch.iterdir()) == []


# -- the database's disk full: the file fits, the record does not ---------------------------


@pytest.fixture
def tiny_data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory (the SQLite database and the evidence) wholly on a 2 MiB tmpfs."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(data_dir)], check=True)
    try:
        yield data_dir
    finally:
        subprocess.run(["umount", "-l", str(data_dir)], check=True)


def filling(data_dir: Path) -> bytes:
    """A file that takes the last free pages: stored, it leaves the database no room."""
    return pdf(free_bytes(data_dir) - 200)


def test_a_database_on_a_full_disk_answers_the_upload_page_with_507_and_withdraws_the_file(
    world_template: tuple[Path, dict[str, int]],
    tiny_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    for world in make_web_world(world_template, tiny_data_dir, max_upload_mb=8):
        client, csrf = world.login("b1_secretary")
        evidence = world.settings.evidence_dir
        before, on_disk = record_counts(world), disk_state(evidence)[:2]
        response = client.post(
            f"/tasks/{world.ids['task_b1']}/evidence",
            data={"csrf_token": csrf, **FIELDS},
            files=[("files", ("记录.pdf", filling(tiny_data_dir), "application/pdf"))],
        )
        assert response.status_code == 507 and FULL in response.text
        assert f'value="{FIELDS["title"]}"' in response.text
        assert record_counts(world) == before and disk_state(evidence)[:2] == on_disk


def test_a_database_on_a_full_disk_makes_evidence_add_exit_1_and_withdraws_the_file(
    world_template: tuple[Path, dict[str, int]], tiny_data_dir: Path, tmp_path: Path
) -> None:
    for world in make_web_world(world_template, tiny_data_dir, max_upload_mb=8):
        evidence = world.settings.evidence_dir
        upload = tmp_path / "记录.pdf"
        before, on_disk = record_counts(world), disk_state(evidence)[:2]
        upload.write_bytes(filling(tiny_data_dir))
        with freeze_time(NOW, tick=True):
            result = CliRunner(env={"OBLIGATIONS_USER": "组织部"}).invoke(
                cli,
                ["--data-dir", str(tiny_data_dir), "evidence", "add", str(world.ids["task_b1"]),
                 str(upload), "--held-on", FIELDS["held_on"], "--title", FIELDS["title"]],
            )  # fmt: skip
        assert result.exit_code == 1, result.output
        assert FULL in result.output and "Traceback" not in result.output
        assert record_counts(world) == before and disk_state(evidence)[:2] == on_disk
