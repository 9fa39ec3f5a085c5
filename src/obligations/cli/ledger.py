"""`obligations ledger ...`: produce ledgers, the evidence bundle and the college summary;
write a unit's notes and figures.

``obligations ledger UNIT --year 2026`` (and ``--all``) is the default subcommand ``make``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from obligations.accounts.access import operator
from obligations.cli.context import AppContext, BadInput, Failure, pass_app
from obligations.cli.params import parse_date
from obligations.cli.table import render
from obligations.errors import DataDamaged, InvalidRequest, NotFound, os_error_text
from obligations.evidence.storage import BlobNotFound
from obligations.ledger.bundle import ledger_file_name, safe_name, write_bundle
from obligations.ledger.errors import LedgerRenderError
from obligations.ledger.figures import figure_specs
from obligations.ledger.formats import FORMATS
from obligations.ledger.notes import list_figures, set_figures, set_note
from obligations.ledger.period import (
    LedgerPeriod,
    PeriodInvalid,
    academic_year,
    calendar_year,
    date_range,
)
from obligations.ledger.service import ComposedLedger, compose_unit_ledger, unit_codes
from obligations.ledger.summary import CollegeSummary, college_summary, summary_title, task_outcomes
from obligations.ledger.summary_html import summary_html
from obligations.ledger.summary_xlsx import summary_pdf, summary_xlsx
from obligations.rules.calendars import load_academic_calendar
from obligations.scratch import replacing, scratch_dir
from obligations.timeutil import utcnow


class _DefaultToMake(click.Group):
    """``ledger UNIT ...`` and ``ledger --all ...`` run ``make``; named subcommands run as usual."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["make", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultToMake)
def ledger() -> None:
    """年度台账：生成台账（Word、Excel、网页、PDF）、佐证材料包和全院汇总，填写情况说明与指标数据。

    \b
    obligations ledger U01 --year 2026 [--format docx|xlsx|html|pdf] [-o 文件] [--bundle]
    obligations ledger --all --year 2026 -o 目录
    obligations ledger notes U01 2.3 --year 2026 --narrative 文字 --measures 文字
    obligations ledger figures U01 --year 2026 --set activists=12 --set development-targets=4
    """


@ledger.command("make")
@click.argument("unit_code", required=False, metavar="UNIT")
@click.option("--all", "all_units", is_flag=True, help="全部单位，另生成全院汇总（需 -o 目录）")
@click.option("--year", type=int, help="年度（自然年），如 2026")
@click.option("--academic-year", help="学年，如 2025-2026（按校历）")
@click.option("--from", "start", callback=parse_date, metavar="DATE", help="起始日期")
@click.option("--to", "end", callback=parse_date, metavar="DATE", help="截止日期（含）")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="docx", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="输出文件（--all 时为目录）")
@click.option("--bundle", is_flag=True, help="生成佐证材料包（ZIP：台账、全部佐证材料和目录）")
@click.option("--school", help="学校名称，默认取学校党委的名称")
@click.option("--today", callback=parse_date, metavar="DATE", help="按该日期计算并作为填表日期")
@pass_app
def make(
    app: AppContext,
    unit_code: str | None,
    all_units: bool,
    year: int | None,
    academic_year: str | None,
    start: date | None,
    end: date | None,
    fmt: str,
    output: Path | None,
    bundle: bool,
    school: str | None,
    today: date | None,
) -> None:
    """生成单位的年度台账（默认 Word）。"""
    if all_units == (unit_code is not None):
        raise BadInput("请指定一个单位编号，或使用 --all 生成全部单位（二者选一）")
    if all_units and output is None:
        raise BadInput("使用 --all 时请用 -o 指定输出目录")
    today = today or app.today()
    with app.sessions() as session:
        period = _period(session, year, academic_year, start, end)
        options = {"period": period, "today": today, "school_name": school}
        if unit_code is not None:
            composed = _compose(session, app, unit_code, **options)
            target = output or Path(ledger_file_name(composed, "zip" if bundle else fmt))
            _write_one(app, composed, fmt, bundle, target)
            click.echo(f"已生成：{target}")
            return
        assert output is not None
        ledgers = [_compose(session, app, code, **options) for code in unit_codes(session, period)]
        outcomes = task_outcomes(session, period, today)
    if not ledgers:
        raise BadInput("数据库中没有党总支或直属党支部，请先导入组织数据")
    output.mkdir(parents=True, exist_ok=True)
    for composed in ledgers:
        name = ledger_file_name(composed, "zip" if bundle else fmt)
        _write_one(app, composed, fmt, bundle, output / name)
    summary = college_summary(ledgers, outcomes, title=summary_title(period))
    _write_summary(app, summary, output / safe_name(f"台账汇总（{period.label}）"))
    click.echo(f"已生成 {len(ledgers)} 个单位的台账和汇总表：{output}")


def _write_summary(app: AppContext, summary: CollegeSummary, stem: Path) -> None:
    """The college summary as ``stem``.xlsx, .html and .pdf (the PDF left out, with a
    warning, when LibreOffice or its Calc cannot make it)."""
    stem.with_name(stem.name + ".xlsx").write_bytes(summary_xlsx(summary))
    stem.with_name(stem.name + ".html").write_text(summary_html(summary), encoding="utf-8")
    try:
        pdf = summary_pdf(summary, scratch=scratch_dir(app.settings.data_dir))
    except LedgerRenderError as exc:  # the ledgers and the other summaries are written
        click.echo(f"未生成汇总表 PDF：{exc}", err=True)
        return
    stem.with_name(stem.name + ".pdf").write_bytes(pdf)


def _period(
    session: Session,
    year: int | None,
    academic: str | None,
    start: date | None,
    end: date | None,
) -> LedgerPeriod:
    ranged = start is not None or end is not None
    if academic is not None and ranged:
        raise BadInput("--academic-year 与 --from/--to 只能选一种")
    try:
        if academic is not None:
            return academic_year(academic, load_academic_calendar(session))
        if ranged:
            if start is None or end is None:
                raise BadInput("--from 与 --to 需同时填写")
            return date_range(start, end)
        if year is None:
            raise BadInput("请用 --year 指定年度（或 --academic-year、--from/--to）")
        return calendar_year(year)
    except PeriodInvalid as exc:
        raise BadInput(str(exc)) from exc


def _compose(session: Session, app: AppContext, unit_code: str, **options: Any) -> ComposedLedger:
    try:
        return compose_unit_ledger(session, app.catalog, unit_code=unit_code, **options)
    except NotFound as exc:
        raise BadInput(str(exc)) from exc


def _write_one(
    app: AppContext, composed: ComposedLedger, fmt: str, bundle: bool, target: Path
) -> None:
    # Renamed into place once whole: a bundle that stops at a missing or damaged file leaves
    # nothing that looks finished.
    try:
        with replacing(target) as partial:
            if bundle:
                docx = app.render_ledger(composed.document, "docx")
                with partial.open("wb") as sink:
                    write_bundle(sink, composed, app.catalog, app.store, docx=docx)
            else:
                partial.write_bytes(app.render_ledger(composed.document, fmt))
    except LedgerRenderError as exc:
        raise Failure(str(exc)) from exc
    except DataDamaged as exc:
        raise Failure(str(exc)) from exc
    except BlobNotFound as exc:
        raise Failure(
            f"佐证材料文件缺失（{exc}），未能生成材料包；请运行 obligations verify 检查存储"
        ) from exc
    except OSError as exc:
        raise Failure(f"无法写入 {target}：{os_error_text(exc)}") from exc


@ledger.command("notes")
@click.argument("unit_code", metavar="UNIT")
@click.argument("item_id", metavar="ITEM")
@click.option("--year", type=int, required=True, help="年度")
@click.option("--narrative", help="落实情况说明（空字符串清除）")
@click.option("--measures", help="整改措施（空字符串清除）")
@pass_app
def notes(
    app: AppContext,
    unit_code: str,
    item_id: str,
    year: int,
    narrative: str | None,
    measures: str | None,
) -> None:
    """填写某条目的落实情况说明和整改措施（重新生成台账时保留）。"""
    if narrative is None and measures is None:
        raise BadInput("请至少填写 --narrative 或 --measures 之一")
    try:
        with app.sessions.begin() as session:
            set_note(
                session,
                app.catalog,
                unit_code=unit_code,
                item_id=item_id,
                year=year,
                narrative=narrative,
                measures=measures,
                by=operator(app.actor),
                now=utcnow(),
            )
    except (NotFound, InvalidRequest) as exc:
        raise BadInput(str(exc)) from exc
    click.echo(f"已保存 {unit_code} {year}年度 条目 {item_id} 的说明")


@ledger.command("figures")
@click.argument("unit_code", metavar="UNIT")
@click.option("--year", type=int, required=True, help="年度")
@click.option("--set", "values", multiple=True, metavar="KEY=VALUE", help="指标数据，可重复")
@click.option(
    "--evidence", "links", multiple=True, metavar="KEY=RECORD_ID", help="关联佐证材料，可重复"
)
@pass_app
def figures(
    app: AppContext, unit_code: str, year: int, values: tuple[str, ...], links: tuple[str, ...]
) -> None:
    """填写或查看年度指标数据（入党积极分子数、发展对象数、培训学时、订阅率）。"""
    specs = figure_specs(app.catalog.indicators)
    try:
        with app.sessions.begin() as session:
            if values or links:
                set_figures(
                    session,
                    app.catalog,
                    unit_code=unit_code,
                    year=year,
                    values=_pairs(values),
                    evidence={k: _record_id(v) for k, v in _pairs(links).items()},
                    by=operator(app.actor),
                    now=utcnow(),
                )
            stored = {f.key: f for f in list_figures(session, unit_code=unit_code, year=year)}
            rows = [
                [
                    key,
                    spec.label,
                    f"{stored[key].value.normalize():f}{spec.unit}" if key in stored else "未填报",
                    str(stored[key].evidence_record_id or "") if key in stored else "",
                ]
                for key, spec in specs.items()
            ]
    except (NotFound, InvalidRequest) as exc:
        raise BadInput(str(exc)) from exc
    click.echo(render(["指标", "名称", "数值", "佐证材料"], rows))


def _pairs(items: Sequence[str]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise BadInput(f"“{item}”格式有误，应为 名称=数值，例如 activists=12")
        pairs[key.strip()] = value.strip()
    return pairs


def _record_id(text: str) -> int:
    if not text.isdigit():
        raise BadInput(f"佐证材料编号应为数字：{text}")
    return int(text)
