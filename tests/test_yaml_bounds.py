"""Hostile YAML files (alias bombs, deep nesting, huge files) are refused early and by name,
through the one loader that rules, `import` and the web admin share."""

from __future__ import annotations

import shutil
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from obligations import yamlsource
from obligations.cli.main import cli
from obligations.paths import shipped_dir
from obligations.yamlsource import YamlSyntaxError, load_yaml


def alias_bomb(levels: int = 9) -> str:
    """The "billion laughs": ``levels`` lists of nine aliases to the list above, 9**9 values."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        items = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{items}]")
    return "\n".join(lines) + "\n"


def deep_nesting(depth: int = 5000) -> str:
    return "rules: " + "[" * depth + "]" * depth + "\n"


def many_aliases(count: int) -> str:
    return "a: &a x\nb: [" + ", ".join(["*a"] * count) + "]\n"


HOSTILE = {
    "alias-bomb": alias_bomb(),
    "deep-list": deep_nesting(),
    "deep-map": "".join(f"{' ' * i}k{i}:\n" for i in range(2000)),
    "too-many-aliases": many_aliases(yamlsource.MAX_ALIASES + 1),
}


def run(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])


def test_the_alias_bomb_is_about_1_kb() -> None:
    assert len(alias_bomb().encode()) < 1100


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_is_refused_with_a_chinese_message_and_little_memory(
    name: str, tmp_path: Path
) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(HOSTILE[name], encoding="utf-8")
    tracemalloc.start()
    try:
        with pytest.raises(YamlSyntaxError) as caught:
            load_yaml(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024
    assert caught.value.path == path
    assert "文件被拒绝" in caught.value.message
    assert str(path) in str(caught.value)


def test_aliases_up_to_the_limit_still_load(tmp_path: Path) -> None:
    path = tmp_path / "shared.yaml"
    path.write_text(many_aliases(yamlsource.MAX_ALIASES - 1), encoding="utf-8")
    assert load_yaml(path).data["b"] == ["x"] * (yamlsource.MAX_ALIASES - 1)


def test_nesting_up_to_the_limit_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    depth = yamlsource.MAX_DEPTH - 1  # the top-level map is one level
    path.write_text("a: " + "[" * depth + "]" * depth, encoding="utf-8")
    assert load_yaml(path).data is not None


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yamlsource, "MAX_BYTES", 1000)
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 1000, encoding="utf-8")
    with pytest.raises(YamlSyntaxError, match="文件过大"):
        load_yaml(path)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_rules_check_refuses_a_hostile_rule_file_naming_it(name: str, tmp_path: Path) -> None:
    copy = tmp_path / "calendar_rules"
    shutil.copytree(shipped_dir("calendar_rules"), copy)
    hostile = copy / "rules" / "hostile.yaml"
    hostile.write_text(HOSTILE[name], encoding="utf-8")

    result = run(tmp_path / "data", "rules", "check", str(copy))

    assert result.exit_code == 2, result.output
    assert f"{hostile}:" in result.stderr and "文件被拒绝" in result.stderr
    assert "Traceback" not in result.output


def test_tasks_generate_refuses_a_hostile_rule_file_in_the_data_directory(tmp_path: Path) -> None:
    assert run(tmp_path, "init").exit_code == 0
    rules = tmp_path / "calendar_rules" / "rules"
    rules.mkdir(parents=True, exist_ok=True)
    (rules / "bomb.yaml").write_text(alias_bomb(), encoding="utf-8")

    result = run(tmp_path, "tasks", "generate")

    assert result.exit_code == 2, result.output
    assert str(rules / "bomb.yaml") in result.stderr and "文件被拒绝" in result.stderr


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_import_refuses_a_hostile_file_naming_it(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(HOSTILE[name], encoding="utf-8")

    result = run(tmp_path / "data", "import", str(path))

    assert result.exit_code == 2, result.output
    assert str(path) in result.stderr and "文件被拒绝" in result.stderr


@pytest.mark.parametrize(
    ("text", "line"),
    [("x: 1\n? [a, b]\n: x\n", 2), ("a: &a {x: 1}\n? *a\n: y\n", 1)],  # an alias: its anchor
)
def test_a_list_or_mapping_as_a_key_is_refused_with_its_line(
    text: str, line: int, tmp_path: Path
) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml(path)
    assert caught.value.message == "键只能是文本或数字，不能是列表或映射"
    assert caught.value.line == line
