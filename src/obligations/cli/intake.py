"""`obligations evidence intake`: proposals for a folder or ZIP of files, and recording the
confirmed ones (from the reviewed sheet, or directly above a confidence)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from obligations.accounts.access import operator
from obligations.cli.context import AppContext, BadInput, Failure, pass_app, refusals
from obligations.evidence.bulk import sheet
from obligations.evidence.bulk.matching import Proposal
from obligations.evidence.bulk.service import Applied, IntakeRequest, apply, propose_files
from obligations.evidence.bulk.sources import Source
from obligations.timeutil import local_date, utcnow


@click.command("intake")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--unit", "unit_code", help="单位编号，如 U01")
@click.option("--branch", "branch_code", help="支部编号（文件都属于这个支部时）")
@click.option("--year", type=int, help="年度（默认今年）")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="建议表 .xlsx 或 .csv"
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 列表输出建议")
@click.option(
    "--accept-above", type=click.FloatRange(0, 1), help="直接登记置信度不低于此值的建议，如 0.9"
)
@click.option(
    "--apply", "apply_sheet", type=click.Path(dir_okay=False, path_type=Path),
    help="登记建议表中“确认”为“是”的行",
)  # fmt: skip
@pass_app
def intake_command(
    app: AppContext,
    path: Path | None,
    unit_code: str | None,
    branch_code: str | None,
    year: int | None,
    output: Path | None,
    as_json: bool,
    accept_above: float | None,
    apply_sheet: Path | None,
) -> None:
    """批量整理佐证材料：PATH 为文件夹或 .zip，逐个读取文件，给出对应任务、活动日期、
    标题、类型、人数与置信度（附理由）；确认前不登记任何材料。

    用 -o 保存建议表，核对并在“确认”列填“是”后，用 --apply 登记。
    """
    if apply_sheet is not None:
        if path is not None or unit_code is not None:
            raise BadInput("--apply 只需建议表，不需再给出 PATH 或 --unit")
        _apply_sheet(app, apply_sheet)
        return
    if path is None or unit_code is None:
        raise BadInput("请给出文件夹或 .zip 压缩包，以及 --unit 单位编号（或用 --apply 建议表）")
    if output is not None and output.suffix.lower() not in {".csv", ".xlsx"}:
        raise BadInput(f"建议表只能保存为 .csv 或 .xlsx，不是“{output.name}”")
    now = utcnow()
    request = IntakeRequest(unit_code, year or local_date(now).year, branch_code)
    with refusals(), Source(path) as source:
        proposals = _propose(app, source, request, now=now, quiet=as_json)
        if output is not None:
            sheet.write(output, proposals, unit_code=unit_code, source=path,
                        accept_above=accept_above or 0.9)  # fmt: skip
        applied = None
        if accept_above is not None:
            chosen = [
                p for p in proposals
                if p.task_id is not None and not p.duplicate and p.confidence >= accept_above
            ]  # fmt: skip
            applied = apply(
                app.sessions, app.store, app.evidence_policy, app.catalog, source, chosen,
                unit_code=unit_code, by=operator(app.actor), now=now,
            )  # fmt: skip
    if as_json:
        click.echo(json.dumps([_json(p) for p in proposals], ensure_ascii=False, indent=2))
    else:
        _summary(proposals, output)
    if applied is not None:
        _report(applied, err=as_json)


def _propose(
    app: AppContext, source: Source, request: IntakeRequest, *, now: Any, quiet: bool
) -> list[Proposal]:
    from tqdm import tqdm  # type: ignore[import-untyped, unused-ignore]

    total = len(source.files())
    show = not quiet and sys.stderr.isatty()
    with tqdm(total=total, unit="个", desc="读取文件", file=sys.stderr, disable=not show) as bar:
        proposals = propose_files(
            app.sessions, app.catalog, source, request, by=operator(app.actor),
            today=local_date(now), limits=app.evidence_policy.limits,
            progress=lambda _name: bar.update(1),
        )  # fmt: skip
        return list(proposals)


def _apply_sheet(app: AppContext, path: Path) -> None:
    if not path.is_file():
        raise BadInput(f"找不到建议表 {path}")
    with refusals():
        confirmed = sheet.read_confirmed(path)
        with Source(confirmed.source) as source:
            applied = apply(
                app.sessions, app.store, app.evidence_policy, app.catalog, source,
                confirmed.rows, unit_code=confirmed.unit_code, by=operator(app.actor),
                now=utcnow(),
            )  # fmt: skip
    _report(applied, err=False)


def _report(applied: Applied, *, err: bool) -> None:
    for name, record_id in applied.recorded:
        click.echo(f"已登记材料 {record_id}：{name}", err=err)
    for name, why in applied.refused:
        click.echo(f"未登记 {name}：{why}", err=True)
    click.echo(f"共登记 {len(applied.recorded)} 个文件，未登记 {len(applied.refused)} 个", err=err)
    if applied.refused:
        raise Failure(f"{len(applied.refused)} 个文件未登记，原因见上")


def _summary(proposals: Sequence[Proposal], output: Path | None) -> None:
    matched = [p for p in proposals if p.task_id is not None or p.ledger_item is not None]
    confident = [p for p in matched if p.confidence >= 0.9 and not p.duplicate]
    for p in proposals:
        target = f"任务 {p.task_id}" if p.task_id else (
            f"常备材料 {p.ledger_item}" if p.ledger_item else "未匹配")  # fmt: skip
        click.echo(f"{p.file}\t{target}\t{p.confidence:.2f}\t{'；'.join(p.reasons)}")
    click.echo(
        f"共 {len(proposals)} 个文件：找到对应任务或条目 {len(matched)} 个，"
        f"其中置信度不低于 0.9 的 {len(confident)} 个；"
        f"重复 {sum(1 for p in proposals if p.duplicate)} 个"
    )
    if output is not None:
        click.echo(f"已保存建议表：{output}（在“确认”列填“是”后用 --apply 登记）")


def _json(p: Proposal) -> dict[str, Any]:
    return {
        "file": p.file,
        "task_id": p.task_id,
        "rule_id": p.rule_id,
        "ledger_item": p.ledger_item,
        "branch_code": p.branch_code,
        "person_code": p.person_code,
        "period_key": p.period_key,
        "held_on": p.held_on.isoformat() if p.held_on else None,
        "title": p.title,
        "kind": p.kind.value,
        "participants": p.participants,
        "confidence": p.confidence,
        "reasons": p.reasons,
        "duplicate": p.duplicate,
        "sha256": p.sha256,
    }
