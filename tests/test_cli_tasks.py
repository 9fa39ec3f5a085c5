"""The main job through the CLI: a demo data directory, its tasks, and `rules check`."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from tests.helpers import OfficialThrough

from obligations.accounts.users import _verify, get_user
from obligations.cli.main import cli
from obligations.db import make_engine, session_factory
from obligations.paths import shipped_dir
from obligations.rules import workdays

JSON_FIELDS = {
    "id",
    "rule",
    "ledger_item",
    "unit",
    "branch",
    "person",
    "period_key",
    "opens_on",
    "due_on",
    "status",
    "provisional",
}


def run(data_dir: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


DEMO_OUTPUT: list[str] = []


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo college, generated as if official holiday data stopped at 2026, without its
    recorded year (made relative to the day the suite runs; these tests read the plan of tasks
    on fixed days; tests/test_demo_history.py checks the history on a fixed day)."""
    data = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(workdays, "OFFICIAL", OfficialThrough(2026))
        result = run(data, "init", "--demo", "--without-history")
        assert result.exit_code == 0, result.output
        DEMO_OUTPUT[:] = result.stdout.splitlines()
        yield data


def test_init_demo_prints_web_accounts_that_can_log_in(demo_dir: Path) -> None:
    shown = (re.match(r"示例网页账户：(\S+)\s+密码 (\S+)（", line) for line in DEMO_OUTPUT)
    accounts = [m.groups() for m in shown if m]
    assert [name for name, _ in accounts] == ["admin", "u01", "u01-b01"]
    engine = make_engine(f"sqlite:///{demo_dir / 'obligations.sqlite3'}")
    try:
        with session_factory(engine).begin() as session:
            for name, password in accounts:
                user = get_user(session, name)
                assert _verify(user.password_hash, password)
    finally:
        engine.dispose()


def test_init_demo_creates_the_database_and_generates_tasks(demo_dir: Path) -> None:
    assert (demo_dir / "obligations.sqlite3").exists()
    again = run(demo_dir, "tasks", "generate", "--through", "2027-02-24")
    assert again.exit_code == 0, again.output
    assert "新增 0，更新 0，恢复 0，不再要求 0" in again.stdout


def test_tasks_list_json_carries_every_documented_field(demo_dir: Path) -> None:
    result = run(demo_dir, "tasks", "list", "--json", "--today", "2026-11-26", "--unit", "U04")
    assert result.exit_code == 0, result.output
    tasks = json.loads(result.stdout)
    assert tasks and all(task.keys() >= JSON_FIELDS for task in tasks)
    assert {t["unit"] for t in tasks} == {"U04"}
    october = [
        t for t in tasks if t["rule"] == "central-group-study" and t["period_key"] == "2026-10"
    ]
    assert october == [
        {
            **october[0],
            "ledger_item": "2.4",
            "branch": None,
            "person": None,
            "opens_on": "2026-10-01",
            "due_on": "2026-10-30",
            "period_label": "2026年10月",
            "status": "overdue",
            "provisional": False,
        }
    ]


def test_tasks_list_filters_by_status_and_rule(demo_dir: Path) -> None:
    result = run(
        demo_dir,
        "tasks", "list", "--json", "--today", "2026-12-25",
        "--rule", "central-group-study", "--status", "due_soon",
    )  # fmt: skip
    tasks = json.loads(result.stdout)
    assert tasks and {(t["period_key"], t["status"]) for t in tasks} == {("2026-12", "due_soon")}


def test_the_secretary_change_moves_person_tasks_to_the_new_secretary(demo_dir: Path) -> None:
    result = run(
        demo_dir, "tasks", "list", "--json", "--unit", "U04", "--rule", "ideological-lesson"
    )
    owed: dict[str, set[str]] = {}
    for task in json.loads(result.stdout):
        owed.setdefault(task["period_key"], set()).add(task["person"])
    # The demo's U04 changes secretary on 2026-03-01; the dean owes every semester.
    dean = owed["2025-2026-1"] & owed["2025-2026-2"]
    (old,) = owed["2025-2026-1"] - dean
    (new,) = owed["2025-2026-2"] - dean
    assert len(dean) == 1 and old != new
    assert owed["2026-2027-1"] == dean | {new}


def test_a_unit_that_starts_mid_year_owes_nothing_due_before_its_start(demo_dir: Path) -> None:
    result = run(demo_dir, "tasks", "list", "--json", "--unit", "U10")
    due = sorted(t["due_on"] for t in json.loads(result.stdout))
    assert due and due[0] >= "2026-05-01"


def test_dates_in_2027_are_provisional_and_marked_in_the_table(demo_dir: Path) -> None:
    result = run(demo_dir, "tasks", "list", "--unit", "U01", "--rule", "central-group-study")
    lines = [line for line in result.stdout.splitlines() if "2027-01" in line]
    assert lines and all("（待定）" in line for line in lines)


def test_the_table_names_each_period_in_words_not_its_key(demo_dir: Path) -> None:
    result = run(demo_dir, "tasks", "list", "--unit", "U01", "--rule", "central-group-study")
    assert result.exit_code == 0, result.output
    assert "2026年10月" in result.stdout and "2026-10 " not in result.stdout


def test_an_unknown_rule_or_unit_is_refused_with_exit_status_2(demo_dir: Path) -> None:
    unknown_rule = run(demo_dir, "tasks", "list", "--rule", "no-such-rule")
    unknown_unit = run(demo_dir, "tasks", "list", "--unit", "U99")
    bad_date = run(demo_dir, "tasks", "list", "--today", "2026-02-30")
    assert (unknown_rule.exit_code, unknown_unit.exit_code, bad_date.exit_code) == (2, 2, 2)
    assert "no-such-rule" in unknown_rule.output and "central-group-study" in unknown_rule.output
    assert "U99" in unknown_unit.output
    assert "2026-02-30" in bad_date.output


def test_rules_check_passes_on_the_shipped_catalog_and_warns_about_2027(demo_dir: Path) -> None:
    result = run(demo_dir, "rules", "check")
    assert result.exit_code == 0, result.output
    assert "2027 年没有官方节假日安排数据" in result.stderr
    assert "规则目录有效：30 个台账条目" in result.stdout


def test_rules_check_names_a_semester_rule_without_a_calendar(demo_dir: Path) -> None:
    result = run(demo_dir, "rules", "check", "--through", "2027-12-31")
    assert result.exit_code == 2
    line = next(x for x in result.stderr.splitlines() if "mobile-member-check" in x)
    assert line.startswith(str(shipped_dir("calendar_rules") / "rules" / "unit.yaml") + ":")
    assert "字段 period" in line and "2027-09-01" in line


def test_rules_check_on_a_broken_copy_names_file_line_rule_and_field(
    demo_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "calendar_rules"
    shutil.copytree(shipped_dir("calendar_rules"), copy)
    unit_rules = copy / "rules" / "unit.yaml"
    text = unit_rules.read_text(encoding="utf-8")
    unit_rules.write_text(text.replace('ledger_item: "3.5"', 'ledger_item: "9.9"'), "utf-8")
    line = text[: text.index('ledger_item: "3.5"')].count("\n") + 1

    result = run(demo_dir, "rules", "check", str(copy))

    assert result.exit_code == 2
    assert f"{unit_rules}:{line}：错误：规则 mobile-member-check：字段 ledger_item" in result.stderr
    assert "9.9" in result.stderr
