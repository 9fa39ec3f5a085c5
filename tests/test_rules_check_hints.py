"""`rules check` points to the file the user must edit: the data directory's copy, not the
shipped one inside the installed package."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from tests.helpers import SAMPLE_CALENDAR, OfficialThrough

from obligations.cli.main import cli
from obligations.paths import shipped_dir
from obligations.rules import workdays
from obligations.rules.check import check_catalog
from obligations.rules.periods import AcademicCalendar
from obligations.rules.problems import Severity


@pytest.fixture(autouse=True)
def official_through_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workdays, "OFFICIAL", OfficialThrough(2026))


def check(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "rules", "check", "--through", "2027-06-30", *args]
    )


def holiday_warning(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return next(line for line in result.stderr.splitlines() if "2027 年没有官方节假日" in line)


def test_a_year_without_holidays_points_to_the_data_directory_file_and_how_to_create_it(
    tmp_path: Path,
) -> None:
    local = tmp_path / "calendar_rules" / "holidays.yaml"
    line = holiday_warning(check(tmp_path))
    assert line.startswith(f"{local}：警告")
    assert f"请在 {local} 中录入" in line
    assert f"先建立文件夹 {local.parent}" in line
    assert f"把 {shipped_dir('calendar_rules') / 'holidays.yaml'} 复制为 {local}" in line


def test_once_the_data_directory_file_exists_it_is_named_without_the_creation_steps(
    tmp_path: Path,
) -> None:
    local = tmp_path / "calendar_rules" / "holidays.yaml"
    local.parent.mkdir()
    local.write_text("years: {}\n", encoding="utf-8")
    line = holiday_warning(check(tmp_path))
    assert f"请在 {local} 中录入" in line
    assert "复制" not in line


def test_checking_a_folder_points_to_that_folders_file(tmp_path: Path) -> None:
    folder = tmp_path / "draft"
    (folder / "rules").mkdir(parents=True)
    line = holiday_warning(check(tmp_path / "data", str(folder)))
    assert f"请在 {folder / 'holidays.yaml'} 中录入" in line


def line_of_field(file: str | Path, rule_id: str, field: str) -> int:
    """The 1-based line of ``field:`` in the rule ``rule_id`` of a catalog file."""
    lines = Path(file).read_text(encoding="utf-8").splitlines()
    start = next(n for n, text in enumerate(lines) if text.strip() == f"- id: {rule_id}")
    return next(n for n in range(start, len(lines)) if lines[n].strip().startswith(f"{field}:")) + 1


def test_rules_check_warns_of_an_academic_year_missing_from_the_calendar() -> None:
    catalog, problems = check_catalog(
        [shipped_dir("calendar_rules")],
        calendar=AcademicCalendar(SAMPLE_CALENDAR.years[1:]),
        start=date(2026, 1, 1),
        through=date(2026, 6, 30),
        local_dir=Path("calendar_rules"),
    )
    assert catalog is not None
    (problem,) = [p for p in problems if p.rule_id == "branch-setup-survey"]
    assert (problem.severity, problem.field, problem.line) == (
        Severity.WARNING,
        "period",
        line_of_field(problem.file, "branch-setup-survey", "period"),
    )
    assert "学年 2025-2026 没有校历数据，暂按 2025-09-01 至 2026-08-31 推算" in problem.message
