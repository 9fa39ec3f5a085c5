"""`obligations import FILE [FILE ...] [--dry-run]` on a fresh SQLite data directory."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from obligations.cli.main import cli
from obligations.db import make_engine, session_factory
from obligations.models import Organization, Person, RoleAssignment
from obligations.paths import demo_dir

DEMO = demo_dir() / "college.yaml"


def _run(data_dir: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), "import", *map(str, args)])


def _count(data_dir: Path, model: type[object]) -> int:
    engine = make_engine(f"sqlite:///{data_dir / 'obligations.sqlite3'}")
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(model)) or 0
    finally:
        engine.dispose()


def test_importing_the_demo_prints_every_change_and_a_summary(tmp_path: Path) -> None:
    result = _run(tmp_path / "data", DEMO)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "新增 学校党委 AHVTC 安徽职业技术学院党委"
    assert lines[-1] == "新增 249，更新 0，未变 0"
    assert len(lines) == 250
    assert _count(tmp_path / "data", Person) == 94


def test_a_second_run_says_nothing_changed(tmp_path: Path) -> None:
    _run(tmp_path, DEMO)

    result = _run(tmp_path, DEMO)

    assert result.exit_code == 0
    assert result.stdout == "新增 0，更新 0，未变 249\n"


def test_a_dry_run_shows_the_changes_and_writes_nothing(tmp_path: Path) -> None:
    result = _run(tmp_path, DEMO, "--dry-run")

    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "新增 249，更新 0，未变 0（试运行，未写入数据库）"
    assert _count(tmp_path, Organization) == 0


def test_a_bad_file_exits_2_listing_every_problem_on_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "units:\n  - code: U01\n    name: 机电\n    kind: party\n    term_years: 5\n",
        encoding="utf-8",
    )

    result = _run(tmp_path, bad)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{bad}:4: units[0].kind: 取值 'party' 无效" in result.stderr
    assert f"{bad}:5: units[0].term_years: 任期年限应为 3 或 4（年），不是 5" in result.stderr
    assert "发现 2 个问题，未导入任何数据" in result.stderr


def test_files_import_in_order_in_one_transaction(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("code,name,email,mobile,wecom_userid\nT0999,张伟,,,\n", encoding="utf-8")
    roles = tmp_path / "roles.csv"
    roles.write_text("person,org,role,from,until\nT0999,U01,secretary,2023-10-15,\n", "utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("person,org,role,from,until\nT0999,U99,secretary,2023-10-15,\n", "utf-8")

    refused = _run(tmp_path, DEMO, people, bad)
    accepted = _run(tmp_path, DEMO, people, roles)

    assert refused.exit_code == 2
    assert f"{bad}:2: org: 组织 U99 不存在" in refused.stderr
    assert accepted.exit_code == 0
    assert accepted.stdout.splitlines()[-1] == "新增 251，更新 0，未变 0"
    assert _count(tmp_path, RoleAssignment) == 102


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = _run(tmp_path, tmp_path / "nowhere.yaml")

    assert result.exit_code == 2
    assert "nowhere.yaml" in result.stderr
