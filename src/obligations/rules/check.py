"""`rules check`: the catalog's own problems plus those that need the college's data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from obligations.rules.catalog import HOLIDAYS_FILE, Catalog, catalog_files, load_catalog
from obligations.rules.periods import AcademicCalendar, guessed_year_message, rule_periods
from obligations.rules.problems import CatalogInvalid, CatalogProblem, Severity
from obligations.rules.schema import PeriodKind
from obligations.rules.workdays import WorkdayCalendar


def check_catalog(
    dirs: Sequence[Path],
    *,
    calendar: AcademicCalendar | None,
    start: date,
    through: date,
    local_dir: Path,
) -> tuple[Catalog | None, list[CatalogProblem]]:
    """Every problem of the catalog in ``dirs``; calendar coverage is checked over
    ``[start, through]`` when the college's academic calendar is given. ``local_dir`` is the
    folder whose files override the shipped ones (the data directory's ``calendar_rules/``):
    warnings tell the user to edit files there, never the shipped copies."""
    try:
        catalog = load_catalog(dirs)
    except CatalogInvalid as exc:
        return None, exc.problems
    problems = list(catalog.warnings)
    problems.extend(_holiday_coverage(catalog, start, through, local_dir))
    if calendar is None:
        problems.append(
            CatalogProblem(
                Path("(database)"), None, "未找到数据库，未检查校历", severity=Severity.WARNING
            )
        )
    else:
        problems.extend(_calendar_coverage(catalog, calendar, start, through))
    return catalog, problems


def _calendar_coverage(
    catalog: Catalog, calendar: AcademicCalendar, start: date, through: date
) -> list[CatalogProblem]:
    """Semester rules without semesters (an error: no task can be made) and academic-year
    rules without their year (a warning: the tasks are made with a guessed span, 待定)."""
    problems = []
    for located in catalog.rules:
        rule = located.rule
        if not rule.enabled or rule.period not in (PeriodKind.SEMESTER, PeriodKind.ACADEMIC_YEAR):
            continue
        result = rule_periods(rule, calendar, start, through)
        for gap_start, gap_end in result.gaps:
            problems.append(
                CatalogProblem(
                    located.file,
                    located.line_of("period"),
                    f"按学期计的规则在 {gap_start} 至 {gap_end} 没有校历学期数据；"
                    "请先导入该学年的校历（obligations import）",
                    rule.id,
                    "period",
                )
            )
        for period in result.guessed:
            problems.append(
                CatalogProblem(
                    located.file,
                    located.line_of("period"),
                    guessed_year_message(period),
                    rule.id,
                    "period",
                    severity=Severity.WARNING,
                )
            )
    return problems


def _holiday_coverage(
    catalog: Catalog, start: date, through: date, local_dir: Path
) -> list[CatalogProblem]:
    workdays = WorkdayCalendar(catalog.holidays)
    where = (local_dir / HOLIDAYS_FILE).absolute()
    return [
        CatalogProblem(
            where,
            None,
            f"{year} 年没有官方节假日安排数据：到期日按“周一至周五为工作日”推算并标记为待定；"
            f"国务院公布后请在 {where} 中录入{_how_to_create(where, catalog)}",
            severity=Severity.WARNING,
        )
        for year in range(start.year, through.year + 1)
        if not workdays.knows(year)
    ]


def _how_to_create(where: Path, catalog: Catalog) -> str:
    if where.exists():
        return ""
    example = catalog.holidays_file or HOLIDAYS_FILE
    return (
        f"（该文件尚不存在：先建立文件夹 {where.parent}，再把 {example} 复制为 {where}，"
        "按其中注释的示例在 years: 下填写该年的节假日和调休上班日）"
    )


def catalog_dirs_for(path: Path, defaults: Sequence[Path]) -> list[Path]:
    """The folders to check for ``rules check PATH``: a complete catalog stands alone, a
    partial one (only some files) overrides the defaults."""
    if "ledger.yaml" in catalog_files([path]):
        return [path]
    return [*defaults[:1], path]
