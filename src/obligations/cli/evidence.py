"""`obligations evidence ...`: record, list, show, fetch, withdraw and review evidence."""

from __future__ import annotations

import errno
import json
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import click

from obligations.accounts.access import operator
from obligations.cli.context import AppContext, BadInput, pass_app, refusals
from obligations.cli.intake import intake_command
from obligations.cli.params import parse_date
from obligations.cli.table import render
from obligations.errors import os_error_text
from obligations.evidence import intake
from obligations.evidence import records as service
from obligations.evidence.storage import copy_verified
from obligations.models import EvidenceRecord
from obligations.scratch import replacing
from obligations.timeutil import LOCAL_TZ, utcnow
from obligations.vocabulary import EvidenceKind

_KINDS = click.Choice([k.value for k in EvidenceKind])
_KIND_HELP = "材料类型：" + "、".join(f"{k.value}（{k.label}）" for k in EvidenceKind)


@click.group()
def evidence() -> None:
    """佐证材料：登记、查看、撤回与审核。"""


evidence.add_command(intake_command)


@evidence.command("add")
@click.argument("arguments", nargs=-1, metavar="[TASK_ID] [FILE]...")
@click.option("--held-on", callback=parse_date, required=True, metavar="DATE", help="活动日期")
@click.option("--title", required=True, help="标题，如“3月支部委员会会议记录”")
@click.option("--kind", type=_KINDS, default=EvidenceKind.MINUTES.value, help=_KIND_HELP)
@click.option("--participants", type=int, help="参加人数")
@click.option("--hours", help="学时（培训类），如 2 或 1.5")
@click.option("--notes", help="备注")
@click.option(
    "--item", help="常备材料：台账条目，如 1.3（与 --unit、--year 一起使用，不填任务编号）"
)
@click.option("--unit", "unit_code", help="常备材料：单位编号")
@click.option("--year", type=int, help="常备材料：年度")
@pass_app
def add(
    app: AppContext,
    arguments: tuple[str, ...],
    held_on: date,
    title: str,
    kind: str,
    participants: int | None,
    hours: str | None,
    notes: str | None,
    item: str | None,
    unit_code: str | None,
    year: int | None,
) -> None:
    """登记佐证材料：TASK_ID 为任务编号，其后为文件（可多个）。

    常备材料不填任务编号，改用 --item、--unit 和 --year。
    """
    task_id, files = _task_and_files(arguments, standing=item is not None or unit_code is not None)
    if task_id is None and None in (item, unit_code, year):
        raise BadInput("登记常备材料时请同时给出 --item、--unit 和 --year")
    data = service.EvidenceInput(
        title=title,
        held_on=held_on,
        kind=EvidenceKind(kind),
        participants=participants,
        hours=hours,
        notes=notes,
    )
    if task_id is not None:
        target: intake.Target = intake.TaskTarget(task_id)
    else:
        assert item is not None and unit_code is not None and year is not None
        target = service.StandingTarget(unit_code, item, year)
    with ExitStack() as stack, refusals():
        uploads = [intake.Upload(path.name, stack.enter_context(path.open("rb"))) for path in files]
        record_id = intake.add(
            app.sessions,
            app.store,
            app.evidence_policy,
            app.catalog,
            target=target,
            data=data,
            uploads=uploads,
            by=operator(app.actor),
            now=utcnow(),
        )
    click.echo(f"已登记材料 {record_id}：{title.strip()}，文件 {len(files)} 个")


@evidence.command("list")
@click.option("--task", "task_id", type=int, help="任务编号")
@click.option("--unit", "unit_code", help="单位编号")
@click.option("--item", help="台账条目")
@click.option("--year", type=int, help="年度")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_app
def list_command(
    app: AppContext,
    task_id: int | None,
    unit_code: str | None,
    item: str | None,
    year: int | None,
    as_json: bool,
) -> None:
    """列出佐证材料（含已撤回的）。"""
    with refusals(), app.sessions() as session:
        records = service.list_records(
            session, task_id=task_id, unit_code=unit_code, ledger_item=item, year=year
        )
        if as_json:
            click.echo(json.dumps([_json(r) for r in records], ensure_ascii=False, indent=2))
            return
        rows = [
            [
                str(r.id),
                str(r.task_id or "常备"),
                r.unit.code,
                r.ledger_item,
                r.held_on.isoformat(),
                r.kind.label,
                r.title,
                str(len(r.files)),
                _state(r),
            ]
            for r in records
        ]
    headers = ["编号", "任务", "单位", "条目", "活动日期", "类型", "标题", "文件", "状态"]
    click.echo(render(headers, rows) if rows else "没有符合条件的材料")


@evidence.command("show")
@click.argument("record_id", type=int)
@pass_app
def show(app: AppContext, record_id: int) -> None:
    """显示一份材料的详情与文件。"""
    with refusals(), app.sessions() as session:
        r = service.get_record(session, record_id)
        lines = [
            f"材料 {r.id}：{r.title}",
            f"任务：{r.task_id}"
            if r.task_id
            else f"常备材料：{r.unit.code} {r.ledger_item} {r.year}年",
            f"单位：{r.unit.code} {r.unit.name}",
            f"活动日期：{r.held_on}　类型：{r.kind.label}",
            f"参加人数：{r.participants if r.participants is not None else '—'}"
            f"　学时：{r.hours if r.hours is not None else '—'}",
            f"登记：{r.recorded_by}，{_local(r.recorded_at)}",
            f"状态：{_state(r)}",
        ]
        if r.notes:
            lines.append(f"备注：{r.notes}")
        if r.review_reason:
            lines.append(f"审核意见：{r.review_reason}（{r.reviewed_by}）")
        if r.withdrawn_reason:
            lines.append(f"撤回原因：{r.withdrawn_reason}（{r.withdrawn_by}）")
        lines.append("文件：" if r.files else "文件：无")
        lines += [f"  {f.position}. {f.original_name}（{_size(f.size)}）" for f in r.files]
    click.echo("\n".join(lines))


@evidence.command("get")
@click.argument("record_id", type=int)
@click.argument("file_ref", metavar="FILE")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="保存到"
)
@pass_app
def get(app: AppContext, record_id: int, file_ref: str, output: Path) -> None:
    """取出材料中的一个文件（FILE 为文件序号或原文件名）。"""
    with refusals(), app.sessions() as session:
        file = service.find_file(service.get_record(session, record_id), file_ref)
        # Renamed into place only once the content checked out.
        with replacing(output) as partial, partial.open("wb") as target:
            copy_verified(app.store, file.sha256, target, name=file.original_name)
    click.echo(f"已保存 {file.original_name} 到 {output}")


@evidence.command("withdraw")
@click.argument("record_id", type=int)
@click.option("--reason", required=True, help="撤回原因")
@pass_app
def withdraw(app: AppContext, record_id: int, reason: str) -> None:
    """撤回一份材料（保留在历史中，不再计入任务完成）。"""
    with refusals(), app.sessions.begin() as session:
        service.withdraw(
            session, record_id=record_id, reason=reason, by=operator(app.actor), now=utcnow()
        )
    click.echo(f"材料 {record_id} 已撤回")


@evidence.command("review")
@click.argument("record_id", type=int)
@click.option("--accept/--reject", default=None, help="通过或退回")
@click.option("--reason", help="意见（退回时必填）")
@pass_app
def review(app: AppContext, record_id: int, accept: bool | None, reason: str | None) -> None:
    """审核一份材料：通过，或说明原因退回（退回后任务重新打开）。"""
    if accept is None:
        raise BadInput("请选择 --accept（通过）或 --reject（退回）")
    with refusals(), app.sessions.begin() as session:
        service.review(
            session,
            app.evidence_policy,
            record_id=record_id,
            accept=accept,
            reason=reason,
            by=operator(app.actor),
            now=utcnow(),
        )
    click.echo(f"材料 {record_id} {'已通过' if accept else '已退回'}")


def _task_and_files(arguments: tuple[str, ...], *, standing: bool) -> tuple[int | None, list[Path]]:
    """The task id (unless the record is standing evidence) and the files, checked."""
    names = list(arguments)
    task_id = None
    if not standing:
        if not names:
            raise BadInput("请给出任务编号（或用 --item、--unit、--year 登记常备材料）")
        first = names.pop(0)
        if not first.isdigit():
            raise BadInput(f"任务编号应为数字，不是“{first}”；常备材料请用 --item、--unit、--year")
        task_id = int(first)
    files = [Path(name) for name in names]
    for path in files:
        try:
            path.stat()
        except OSError as exc:  # missing, or a name longer than the file system allows
            raise BadInput(f"无法读取文件 {path}：{_why(exc)}") from None
        if path.is_dir():
            raise BadInput(f"{path} 是目录，请给出文件")
    return task_id, files


def _why(error: OSError) -> str:
    if error.errno == errno.ENAMETOOLONG:
        return "文件名过长（超过 255 字节），请缩短后再登记"
    if error.errno == errno.ENOENT:
        return "文件不存在"
    return os_error_text(error)


def _state(record: EvidenceRecord) -> str:
    return "已撤回" if record.withdrawn_at is not None else record.review_state.label


def _local(instant: Any) -> str:
    return str(instant.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"))


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def _json(r: EvidenceRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "task_id": r.task_id,
        "unit": r.unit.code,
        "ledger_item": r.ledger_item,
        "year": r.year,
        "title": r.title,
        "held_on": r.held_on.isoformat(),
        "kind": r.kind.value,
        "participants": r.participants,
        "hours": str(r.hours) if r.hours is not None else None,
        "notes": r.notes,
        "recorded_by": r.recorded_by,
        "recorded_at": r.recorded_at.isoformat(),
        "review_state": r.review_state.value,
        "review_reason": r.review_reason,
        "withdrawn": r.withdrawn_at is not None,
        "withdrawn_reason": r.withdrawn_reason,
        "files": [
            {
                "position": f.position,
                "name": f.original_name,
                "size": f.size,
                "media_type": f.media_type,
                "sha256": f.sha256,
            }
            for f in r.files
        ],
    }
