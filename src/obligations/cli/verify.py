"""`obligations verify` and `obligations audit`."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import click

from obligations.audit import list_audit
from obligations.cli.context import AppContext, pass_app, refusals
from obligations.cli.params import parse_date
from obligations.cli.table import render
from obligations.safety.verify import GRACE, verify
from obligations.scratch import scratch_dir
from obligations.timeutil import LOCAL_TZ, utcnow


@click.command("verify")
@click.option(
    "--grace-minutes",
    type=click.IntRange(min=0),
    default=int(GRACE.total_seconds() // 60),
    show_default=True,
    help="早于该时长的残留临时文件和无主文件才会被清理",
)
@pass_app
def verify_command(app: AppContext, grace_minutes: int) -> None:
    """逐一校验佐证材料文件的哈希；报告缺失、损坏和无主文件；有问题时退出码为 1。"""
    with app.sessions() as session:
        report = verify(
            session,
            app.store,
            now=utcnow(),
            grace=timedelta(minutes=grace_minutes),
            scratch=scratch_dir(app.settings.data_dir),
        )
    for problem in report.missing:
        click.echo(f"缺失：{problem.sha256}（材料 {_ids(problem.records)}：{_names(problem)}）")
    for problem in report.corrupt:
        click.echo(f"损坏：{problem.sha256}（材料 {_ids(problem.records)}：{_names(problem)}）")
    for sha256 in report.orphans_removed:
        click.echo(f"已清理无主文件：{sha256}")
    for sha256 in report.orphans_recent:
        click.echo(f"无主文件（可能正在上传，暂不处理）：{sha256}")
    for leftover in report.leftovers_removed:
        click.echo(f"已清理中断上传的临时文件：{leftover.name}（{leftover.size} 字节）")
    click.echo(
        f"已校验 {report.checked} 个文件：缺失 {len(report.missing)}，损坏 {len(report.corrupt)}，"
        f"清理无主文件 {len(report.orphans_removed)}，清理临时文件 {len(report.leftovers_removed)}"
    )
    if not report.ok:
        raise click.exceptions.Exit(1)


@click.command("audit")
@click.option("--unit", "unit_code", help="单位编号")
@click.option("--since", callback=parse_date, metavar="DATE", help="从该日（含）起")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_app
def audit_command(
    app: AppContext, unit_code: str | None, since: date | None, as_json: bool
) -> None:
    """查看操作日志（谁、何时、做了什么、改动前后）。"""
    start = datetime.combine(since, time(), LOCAL_TZ) if since else None
    with refusals(), app.sessions() as session:
        entries = list_audit(session, unit_code=unit_code, since=start)
    if as_json:
        click.echo(json.dumps([e.as_json() for e in entries], ensure_ascii=False, indent=2))
        return
    rows = [
        [
            e.at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.action_label,
            f"{e.entity} {e.entity_id}" if e.entity_id is not None else e.entity,
            e.unit or "",
            _change(e.before, e.after),
        ]
        for e in entries
    ]
    headers = ["时间", "操作人", "操作", "对象", "单位", "变更"]
    click.echo(render(headers, rows) if rows else "没有符合条件的记录")


def _ids(ids: tuple[int, ...]) -> str:
    return "、".join(map(str, ids))


def _names(problem: object) -> str:
    return "、".join(getattr(problem, "names", ()))


def _change(before: dict[str, object] | None, after: dict[str, object] | None) -> str:
    if before is None:  # a creation: what was created, briefly
        files = after.get("files") if after else None
        title = f"“{after.get('title')}”" if after and after.get("title") else ""
        count = f"，文件 {len(files)} 个" if isinstance(files, list) else ""
        return title + count if title or count else json.dumps(after, ensure_ascii=False)
    changed = {k: (before.get(k), v) for k, v in (after or {}).items() if before.get(k) != v}
    return "；".join(f"{k}: {old} → {new}" for k, (old, new) in changed.items())
