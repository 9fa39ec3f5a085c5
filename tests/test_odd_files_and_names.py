"""What a careless or hostile user can hand the CLI besides well-formed files: devices, folders,
broken links, names longer than a file system allows, text with invisible characters, and the
README's own relative data directory. Each is refused with a Chinese message and exit 2, and
none hangs, fills memory or prints a traceback."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from tests.storage_samples import PDF

from obligations.cli.main import cli


def run(data_dir: Path | str, *args: str | Path) -> Result:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *map(str, args)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("odd") / "data"
    assert run(data, "init", "--demo").exit_code == 0
    return data


@pytest.fixture
def rules_dir(demo: Path) -> Iterator[Path]:
    folder = demo / "calendar_rules" / "rules"
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    shutil.rmtree(demo / "calendar_rules")


def a_task(demo: Path) -> dict[str, object]:
    listed = run(demo, "tasks", "list", "--json", "--unit", "U01", "--status", "overdue")
    return json.loads(listed.stdout)[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", ["device", "folder", "broken link"])
def test_a_rule_file_that_is_no_regular_file_is_refused(
    demo: Path, rules_dir: Path, kind: str
) -> None:
    odd = rules_dir / "odd.yaml"
    if kind == "device":
        odd.symlink_to("/dev/zero")  # its size reads as 0: a size check alone reads for ever
    elif kind == "folder":
        odd.mkdir()
    else:
        odd.symlink_to(rules_dir / "missing.yaml")
    result = run(demo, "rules", "check")
    assert result.exit_code == 2, result.output
    assert "odd.yaml" in result.output and "无法读取文件" in result.output


def test_an_import_of_a_device_is_refused(demo: Path, tmp_path: Path) -> None:
    for suffix in (".csv", ".yaml", ".xlsx"):
        odd = tmp_path / f"zero{suffix}"
        odd.symlink_to("/dev/zero")
        result = run(demo, "import", odd)
        assert result.exit_code == 2, result.output
        assert "无法读取文件" in result.output


def test_a_file_name_longer_than_the_file_system_allows_is_refused(demo: Path) -> None:
    task = a_task(demo)
    name = "党" * 100 + ".pdf"  # 304 bytes: no such file can exist
    result = run(demo, "evidence", "add", str(task["id"]), name, "--held-on",
                 str(task["period_start"]), "--title", "t")  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "文件名过长" in result.output


@pytest.mark.parametrize("hidden", ["\u202e", "\u200b", "\x7f", "\x85", "\ufeff"])
def test_titles_and_imported_names_with_invisible_characters_are_refused(
    demo: Path, tmp_path: Path, hidden: str
) -> None:
    task = a_task(demo)
    minutes = tmp_path / "记录.pdf"
    minutes.write_bytes(PDF)
    added = run(demo, "evidence", "add", str(task["id"]), minutes, "--held-on",
                str(task["period_start"]), "--title", f"正常{hidden}fdp.exe")  # fmt: skip
    assert added.exit_code == 2, added.output
    assert f"U+{ord(hidden):04X}" in added.output
    people = tmp_path / "people.csv"
    people.write_text(
        f"code,name,email,mobile,wecom_userid\nP900,王{hidden}五,,,\n", encoding="utf-8"
    )
    imported = run(demo, "import", people)
    assert imported.exit_code == 2, imported.output
    assert f"U+{ord(hidden):04X}" in imported.output


def test_a_pdf_ledger_renders_with_a_relative_data_directory(demo: Path) -> None:
    here = Path.cwd()
    os.chdir(demo.parent)
    try:
        result = run(demo.name, "ledger", "U01", "--year", "2026", "--format", "pdf",
                     "-o", "U01.pdf")  # fmt: skip
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output
    assert (demo.parent / "U01.pdf").read_bytes().startswith(b"%PDF")
