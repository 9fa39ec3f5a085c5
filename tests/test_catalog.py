"""The shipped catalog and the errors a broken catalog file produces."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.helpers import CATALOG_DIR, shipped_catalog

from obligations.rules.catalog import load_catalog
from obligations.rules.problems import CatalogInvalid, CatalogProblem, Severity
from obligations.rules.schema import ItemKind

# A copy of ../shared/seed/ledger-template.zh.txt, the original form, kept with the tests.
SEED = Path(__file__).parent / "data" / "ledger-template.zh.txt"
SEED_PERIODIC_OBLIGATIONS = {
    "central-group-study": "2.4",
    "staff-political-study": "5.1",
    "committee-training": "2.4",
    "branch-secretary-training": "3.2",
    "recruitment-check": "3.1",
    "training-plan": "3.2",
    "dues-disclosure": "3.3",
    "graduate-transfer": "3.4",
    "relation-audit": "3.4",
    "mobile-member-check": "3.5",
    "democratic-life-meeting": "4.1",
    "branch-committee-meeting": "4.3",
    "party-group-meeting": "4.3",
    "branch-general-meeting": "4.3",
    "branch-party-lecture": "4.3",
    "theme-party-day": "4.3",
    "organizational-life-meeting": "4.3",
    "member-democratic-review": "4.3",
    "committee-party-lecture": "4.3",
    "ideological-lesson": "4.3",
    "branch-setup-survey": "1.2",
    "re-election": "2.2",
    "secretary-review": "6.3",
    "annual-work-plan": "7.4",
    "annual-work-summary": "7.4",
}


def test_the_shipped_catalog_has_seven_sections_and_thirty_items_in_order() -> None:
    catalog = shipped_catalog()
    assert [s.name for s in catalog.ledger.sections] == [
        "党的组织设置",
        "班子队伍建设",
        "党员教育管理",
        "党内组织生活",
        "作用发挥途径",
        "工作运行机制",
        "基本工作保障",
    ]
    ids = [item.id for item in catalog.items]
    assert len(ids) == 30
    assert ids[:5] == ["1.1", "1.2", "1.3", "1.4", "2.1"] and ids[-1] == "7.4"
    assert catalog.item("1.2").name == "设置调整"


def test_every_standard_text_is_verbatim_from_the_original_form() -> None:
    original = SEED.read_text(encoding="utf-8")
    for item in shipped_catalog().items:
        assert f"\t{item.standard}\n" in original, item.id


def test_every_periodic_obligation_of_the_seed_table_has_a_rule() -> None:
    rules = {r.id: r.ledger_item for r in shipped_catalog().enabled_rules}
    assert rules == SEED_PERIODIC_OBLIGATIONS


def test_every_periodic_item_is_covered_and_the_catalog_has_no_warnings() -> None:
    catalog = shipped_catalog()
    periodic = {i.id for i in catalog.items if ItemKind.PERIODIC in i.kinds}
    assert periodic <= {r.ledger_item for r in catalog.enabled_rules}
    assert catalog.warnings == []


def test_measured_items_carry_their_thresholds() -> None:
    metrics = {m.id: m.threshold for i in shipped_catalog().indicators for m in i.metrics}
    assert metrics == {
        "activist-target-ratio": 3,
        "member-training-hours": 32,
        "leader-training-hours": 56,
        "member-subscription-rate": 60,
        "leader-subscription-rate": 100,
    }


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    target = tmp_path / "calendar_rules"
    shutil.copytree(CATALOG_DIR, target)
    return target


def problems_of(folder: Path) -> list[CatalogProblem]:
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog([folder])
    return caught.value.problems


def write_rules(folder: Path, body: str) -> Path:
    path = folder / "rules" / "extra.yaml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD_RULE = """\
rules:
  - id: extra-rule
    ledger_item: "2.4"
    title: 额外规则
    scope: unit
    period: month
"""


def test_a_valid_extra_rule_file_loads(catalog_copy: Path) -> None:
    write_rules(catalog_copy, GOOD_RULE)
    assert load_catalog([catalog_copy]).rule("extra-rule").title == "额外规则"


def test_a_rule_requires_a_file_unless_it_says_none_is_expected(catalog_copy: Path) -> None:
    write_rules(catalog_copy, GOOD_RULE + "    file_required: false\n")
    catalog = load_catalog([catalog_copy])
    assert catalog.rule("extra-rule").file_required is False
    # Every shipped rule's proof is a document, minutes, a sign-in sheet or photos: a file.
    assert all(r.rule.file_required for r in shipped_catalog().rules)


def test_an_unknown_ledger_item_names_the_file_line_rule_and_field(catalog_copy: Path) -> None:
    path = write_rules(catalog_copy, GOOD_RULE.replace('"2.4"', '"8.1"'))
    (problem,) = problems_of(catalog_copy)
    assert (problem.file, problem.line, problem.rule_id, problem.field) == (
        path,
        3,
        "extra-rule",
        "ledger_item",
    )
    assert "8.1" in problem.message and "1.1 至 7.4" in problem.message


def test_a_duplicate_rule_id_names_both_places(catalog_copy: Path) -> None:
    write_rules(catalog_copy, GOOD_RULE.replace("extra-rule", "central-group-study"))
    (problem,) = problems_of(catalog_copy)
    # Files load in name order: extra.yaml first, so unit.yaml's rule is the repeat.
    assert (problem.file.name, problem.rule_id, problem.field) == (
        "unit.yaml",
        "central-group-study",
        "id",
    )
    assert "extra.yaml:2" in problem.message and problem.line is not None


def test_month_13_is_refused_with_its_line(catalog_copy: Path) -> None:
    path = write_rules(
        catalog_copy, GOOD_RULE.replace("period: month", "period: months\n    months: [1, 13]")
    )
    (problem,) = problems_of(catalog_copy)
    assert (problem.file, problem.line, problem.rule_id, problem.field) == (
        path,
        7,
        "extra-rule",
        "months",
    )
    assert "13" in problem.message and "不能大于 12" in problem.message


def test_a_negative_count_is_refused(catalog_copy: Path) -> None:
    write_rules(catalog_copy, GOOD_RULE + "    min_count: -1\n")
    (problem,) = problems_of(catalog_copy)
    assert (problem.line, problem.field) == (7, "min_count")
    assert "不能小于 1" in problem.message


def test_an_unknown_role_lists_the_allowed_roles(catalog_copy: Path) -> None:
    write_rules(
        catalog_copy,
        GOOD_RULE.replace("scope: unit", "scope: person\n    roles: [secretary, chairman]"),
    )
    (problem,) = problems_of(catalog_copy)
    assert (problem.line, problem.rule_id, problem.field) == (6, "extra-rule", "roles")
    assert "chairman" in problem.message and "'deputy_secretary'" in problem.message


def test_an_unknown_field_is_refused(catalog_copy: Path) -> None:
    write_rules(catalog_copy, GOOD_RULE + "    perid: month\n")
    (problem,) = problems_of(catalog_copy)
    assert (problem.line, problem.field) == (7, "perid")
    assert "未知字段" in problem.message


def test_a_person_rule_without_roles_says_what_is_missing(catalog_copy: Path) -> None:
    write_rules(catalog_copy, GOOD_RULE.replace("scope: unit", "scope: person"))
    (problem,) = problems_of(catalog_copy)
    assert problem.rule_id == "extra-rule" and "roles" in problem.message


def test_bad_yaml_names_the_line(catalog_copy: Path) -> None:
    path = write_rules(catalog_copy, GOOD_RULE + "    title: [unclosed\n")
    (problem,) = problems_of(catalog_copy)
    assert problem.file == path and problem.line == 8
    assert "YAML" in problem.message


def test_a_duplicate_key_is_refused_rather_than_silently_overwritten(catalog_copy: Path) -> None:
    write_rules(catalog_copy, GOOD_RULE + "    period: year\n")
    (problem,) = problems_of(catalog_copy)
    assert problem.line == 7 and "period" in problem.message


def test_every_error_is_reported_not_only_the_first(catalog_copy: Path) -> None:
    write_rules(
        catalog_copy,
        GOOD_RULE.replace('"2.4"', '"9.9"')
        + '  - id: second\n    ledger_item: "2.4"\n    title: x\n'
        + "    scope: unit\n    period: fortnight\n",
    )
    problems = problems_of(catalog_copy)
    assert {(p.rule_id, p.field, p.line) for p in problems} == {
        ("extra-rule", "ledger_item", 3),
        ("second", "period", 11),
    }


def test_a_data_directory_file_overrides_the_shipped_file_of_the_same_name(tmp_path: Path) -> None:
    local = tmp_path / "calendar_rules" / "rules"
    local.mkdir(parents=True)
    shipped = (CATALOG_DIR / "rules" / "unit.yaml").read_text(encoding="utf-8")
    (local / "unit.yaml").write_text(
        shipped.replace("    # A college that exempts", "    exempt_months: [2, 8]\n    #"),
        encoding="utf-8",
    )
    catalog = load_catalog([CATALOG_DIR, local.parent])
    assert catalog.rule("central-group-study").exempt_months == [2, 8]
    assert catalog.rule("mobile-member-check").period == "semester"  # other files still shipped


def test_a_disabled_periodic_rule_leaves_a_warning(catalog_copy: Path) -> None:
    path = catalog_copy / "rules" / "unit.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "  - id: relation-audit\n", "  - id: relation-audit\n    enabled: false\n"
    )
    text = text.replace(
        "  - id: graduate-transfer\n", "  - id: graduate-transfer\n    enabled: false\n"
    )
    path.write_text(text, encoding="utf-8")
    catalog = load_catalog([catalog_copy])
    assert [(w.severity, "3.4" in w.message) for w in catalog.warnings] == [
        (Severity.WARNING, True)
    ]
