"""Load and cross-check the catalog: ledger form, rules, indicators and holiday overrides.

The catalog is read from one or more folders; a later folder's file replaces an earlier
folder's file of the same relative path (a college's data directory overrides the shipped
defaults file by file).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from obligations.rules.problems import (
    CatalogInvalid,
    CatalogProblem,
    Severity,
    problems_from_validation,
)
from obligations.rules.schema import (
    HolidaysFile,
    Indicator,
    IndicatorsFile,
    ItemKind,
    LedgerFile,
    LedgerItem,
    Rule,
)
from obligations.yamlsource import YamlDocument, YamlSyntaxError, load_yaml

LEDGER_FILE = "ledger.yaml"
INDICATORS_FILE = "indicators.yaml"
HOLIDAYS_FILE = "holidays.yaml"
RULES_DIR = "rules"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class LocatedRule:
    rule: Rule
    doc: YamlDocument = field(repr=False, compare=False)
    index: int

    @property
    def file(self) -> Path:
        return self.doc.path

    @property
    def line(self) -> int | None:
        return self.doc.line_of(("rules", self.index))

    def line_of(self, name: str) -> int | None:
        return self.doc.line_of(("rules", self.index, name))


@dataclass
class Catalog:
    ledger: LedgerFile
    rules: list[LocatedRule]
    indicators: list[Indicator]
    holidays: HolidaysFile
    holidays_file: Path | None
    warnings: list[CatalogProblem] = field(default_factory=list)

    @property
    def items(self) -> list[LedgerItem]:
        return [item for section in self.ledger.sections for item in section.items]

    def item(self, item_id: str) -> LedgerItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    @property
    def enabled_rules(self) -> list[Rule]:
        return [located.rule for located in self.rules if located.rule.enabled]

    def rule(self, rule_id: str) -> Rule:
        for located in self.rules:
            if located.rule.id == rule_id:
                return located.rule
        raise KeyError(rule_id)


def catalog_files(dirs: Sequence[Path]) -> dict[str, Path]:
    """Relative path -> the file in force, later folders overriding earlier ones."""
    files: dict[str, Path] = {}
    for folder in dirs:
        for path in sorted(folder.rglob("*.yaml")):
            files[path.relative_to(folder).as_posix()] = path
    return files


def load_catalog(dirs: Sequence[Path]) -> Catalog:
    """Read and validate the catalog; raise :class:`CatalogInvalid` listing every error."""
    return load_catalog_files(catalog_files(dirs))


def load_catalog_files(files: dict[str, Path]) -> Catalog:
    """:func:`load_catalog` of the files in force (relative path -> file)."""
    problems: list[CatalogProblem] = []
    ledger, _ = _load_one(files, LEDGER_FILE, LedgerFile, problems, required=True)
    indicators, indicators_doc = _load_one(
        files, INDICATORS_FILE, IndicatorsFile, problems, required=False
    )
    holidays, _ = _load_one(files, HOLIDAYS_FILE, HolidaysFile, problems, required=False)
    rules: list[LocatedRule] = []
    for name, path in files.items():
        if name.startswith(f"{RULES_DIR}/"):
            rules.extend(_load_rules(path, problems))
    if ledger is None:
        raise CatalogInvalid(problems)
    catalog = Catalog(
        ledger=ledger,
        rules=rules,
        indicators=indicators.indicators if indicators else [],
        holidays=holidays or HolidaysFile(),
        holidays_file=files.get(HOLIDAYS_FILE),
    )
    problems.extend(_cross_check(catalog, indicators_doc))
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        raise CatalogInvalid(problems)
    catalog.warnings = problems
    return catalog


def _read(path: Path, problems: list[CatalogProblem]) -> YamlDocument | None:
    try:
        return load_yaml(path)
    except YamlSyntaxError as exc:
        problems.append(CatalogProblem(path, exc.line, exc.message))
        return None


def _load_one(
    files: dict[str, Path],
    name: str,
    model: type[M],
    problems: list[CatalogProblem],
    *,
    required: bool,
) -> tuple[M | None, YamlDocument | None]:
    path = files.get(name)
    if path is None:
        if required:
            problems.append(CatalogProblem(Path(name), None, f"缺少目录文件 {name}"))
        return None, None
    doc = _read(path, problems)
    if doc is None:
        return None, None
    try:
        return model.model_validate(doc.data), doc
    except ValidationError as exc:
        problems.extend(problems_from_validation(doc, exc))
        return None, doc


def _load_rules(path: Path, problems: list[CatalogProblem]) -> list[LocatedRule]:
    doc = _read(path, problems)
    if doc is None:
        return []
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("rules"), list):
        problems.append(CatalogProblem(path, doc.line_of(()), "规则文件应以 rules: 列表开头"))
        return []
    located = []
    for index, raw in enumerate(doc.data["rules"]):
        try:
            rule = Rule.model_validate(raw)
        except ValidationError as exc:
            problems.extend(problems_from_validation(doc, exc, base=("rules", index)))
            continue
        located.append(LocatedRule(rule, doc, index))
    extra = set(doc.data) - {"rules"}
    for key in sorted(extra, key=str):
        problems.append(CatalogProblem(path, doc.line_of((key,)), f"未知的顶层字段 {key!r}"))
    return located


def _cross_check(catalog: Catalog, indicators_doc: YamlDocument | None) -> list[CatalogProblem]:
    problems: list[CatalogProblem] = []
    item_ids = {item.id for item in catalog.items}
    seen: dict[str, LocatedRule] = {}
    for located in catalog.rules:
        rule = located.rule
        if rule.id in seen:
            first = seen[rule.id]
            problems.append(
                CatalogProblem(
                    located.file,
                    located.line_of("id"),
                    f"规则编号重复，已在 {first.file}:{first.line} 定义",
                    rule.id,
                    "id",
                )
            )
        seen.setdefault(rule.id, located)
        if rule.ledger_item not in item_ids:
            problems.append(
                CatalogProblem(
                    located.file,
                    located.line_of("ledger_item"),
                    f"台账中没有条目 {rule.ledger_item}（共 {len(item_ids)} 条，1.1 至 7.4）",
                    rule.id,
                    "ledger_item",
                )
            )
        for also in rule.also_items:
            if also not in item_ids:
                problems.append(
                    CatalogProblem(
                        located.file,
                        located.line_of("also_items"),
                        f"台账中没有条目 {also}",
                        rule.id,
                        "also_items",
                    )
                )
        if len(set(rule.exempt_months)) >= 12:
            problems.append(
                CatalogProblem(
                    located.file,
                    located.line_of("exempt_months"),
                    "不能免除全部12个月",
                    rule.id,
                    "exempt_months",
                )
            )
    covered = {located.rule.ledger_item for located in catalog.rules if located.rule.enabled}
    for item in catalog.items:
        if ItemKind.PERIODIC in item.kinds and item.id not in covered:
            problems.append(
                CatalogProblem(
                    Path(LEDGER_FILE),
                    None,
                    f"周期性条目 {item.id} {item.name} 没有启用的规则",
                    severity=Severity.WARNING,
                )
            )
    for index, indicator in enumerate(catalog.indicators):
        if indicator.item not in item_ids and indicators_doc is not None:
            problems.append(
                CatalogProblem(
                    indicators_doc.path,
                    indicators_doc.line_of(("indicators", index, "item")),
                    f"台账中没有条目 {indicator.item}（共 {len(item_ids)} 条，1.1 至 7.4）",
                    indicator.item,
                    "item",
                )
            )
    return problems
