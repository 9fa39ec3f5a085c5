"""Stored content that no longer matches its checksum is never handed out: not by a download
on the page or the API, not by `evidence get`, not inside an export or an evidence bundle.
Each says in Chinese that the file is damaged and how to recover (verify, then a backup)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from tests.storage_samples import PDF
from tests.web_support import WebWorld, web, world_template

from obligations.cli.main import cli

__all__ = ["web", "world_template"]

DAMAGED = "存储内容已损坏"


def corrupt_every_object(evidence_dir: Path) -> int:
    objects = [p for p in (evidence_dir / "objects").rglob("*") if p.is_file()]
    for path in objects:
        path.chmod(0o600)
        content = path.read_bytes()
        path.write_bytes(content[:-1] + bytes([content[-1] ^ 0xFF]))
    return len(objects)


def test_a_damaged_file_is_not_downloaded_from_the_page_or_the_api(web: WebWorld) -> None:
    assert corrupt_every_object(web.settings.evidence_dir) >= 1
    record = web.ids["rec_b1"]
    page, _ = web.login("b1_secretary")
    from_page = page.get(f"/evidence/{record}/files/1")
    from_api = web.api("b1_secretary").get(f"/api/evidence/{record}/files/1")
    for answer in (from_page, from_api):
        assert answer.status_code == 500 and DAMAGED in answer.text
        assert PDF[:8] not in answer.content


def run(data_dir: Path, *args: str | Path) -> Result:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *map(str, args)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A demo data directory (without its recorded year) with one record whose only file is
    then damaged on disk."""
    folder = tmp_path_factory.mktemp("damaged")
    data = folder / "data"
    assert run(data, "init", "--demo", "--without-history").exit_code == 0
    listed = run(data, "tasks", "list", "--json", "--unit", "U01", "--status", "overdue")
    task = json.loads(listed.stdout)[0]
    minutes = folder / "记录.pdf"
    minutes.write_bytes(PDF + b"damaged later")
    added = run(data, "evidence", "add", str(task["id"]), minutes, "--held-on",
                task["period_start"], "--title", "会议记录")  # fmt: skip
    assert added.exit_code == 0, added.output
    record = int(json.loads(run(data, "evidence", "list", "--json").stdout)[0]["id"])
    assert corrupt_every_object(data / "evidence") == 1
    return data, record


def test_evidence_get_refuses_a_damaged_file_and_writes_nothing(
    damaged: tuple[Path, int], tmp_path: Path
) -> None:
    data, record = damaged
    output = tmp_path / "out.pdf"
    result = run(data, "evidence", "get", str(record), "1", "-o", output)
    assert result.exit_code == 1 and DAMAGED in result.output and "verify" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_export_with_a_damaged_file_fails_and_leaves_no_archive(
    damaged: tuple[Path, int], tmp_path: Path
) -> None:
    data, _ = damaged
    result = run(data, "export", "--unit", "U01", "-o", tmp_path / "U01.zip")
    assert result.exit_code == 1 and DAMAGED in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_evidence_bundle_with_a_damaged_file_fails(
    damaged: tuple[Path, int], tmp_path: Path
) -> None:
    data, _ = damaged
    result = run(data, "ledger", "U01", "--year", "2025", "--bundle", "-o", tmp_path / "b.zip")
    assert result.exit_code == 1 and DAMAGED in result.output
    assert not (tmp_path / "b.zip").exists()
