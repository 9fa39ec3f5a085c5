"""A labelled corpus for bulk intake: a year of one unit's files of the demo college, made
deterministically (a seeded generator) from the tasks the unit owes, in the shapes a
secretary hands over: Word minutes, PDFs, Excel sign-in sheets, phone photos with an EXIF
date; with the naming habits seen in real folders (20260312…, 2026年3月12日…, 3月/…,
…_2026.3.12, dates only inside the text, Chinese numerals, the activity under one of its
other names) and files that match nothing (camera names, untitled documents, other work,
last year's files). ``labels.json`` says, for each file, the task it proves as
(rule, organization, person, period) or null.

    python -m benchmarks.intake_corpus OUTPUT_DIR   # builds the corpus of U01 for 2026
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from benchmarks.intake_files import docx_bytes, jpeg_bytes, pdf_bytes, sign_in_sheet
from obligations.evidence.bulk.clues import rule_terms
from obligations.models import Organization, Task
from obligations.rules.catalog import Catalog
from obligations.rules.schema import Scope
from obligations.timeutil import LOCAL_TZ

SEED = 16
_CN = "〇一二三四五六七八九"
NAMES = [
    "张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴昊",
    "徐丽", "孙强", "胡军", "朱琳", "高翔", "林峰", "何平", "郭艳", "马超", "罗兰",
]  # fmt: skip


@dataclass(frozen=True)
class Owed:
    """A task to make evidence for."""

    rule_id: str
    terms: tuple[str, ...]  # the rule's title and other names
    scope: Scope
    org_code: str
    org_names: tuple[str, ...]  # full name, short name ("" for the unit's own tasks)
    person_code: str | None
    person_name: str | None
    period_key: str
    start: date
    end: date


@dataclass(frozen=True)
class Label:
    file: str
    rule_id: str | None
    org_code: str | None
    person_code: str | None
    period_key: str | None
    held_on: str | None
    shape: str  # docx, pdf, xlsx, jpg, or "unmatched"


def owed_tasks(session: Session, catalog: Catalog, unit_code: str, year: int) -> list[Owed]:
    """The unit's tasks whose period overlaps ``year`` (not retired), as :class:`Owed`."""
    unit = session.scalars(select(Organization).where(Organization.code == unit_code)).one()
    query = (
        select(Task)
        .options(selectinload(Task.organization), selectinload(Task.person))
        .where(Task.unit_id == unit.id, Task.retired_at.is_(None))
        .where(Task.period_start <= date(year, 12, 31), Task.period_end >= date(year, 1, 1))
        .order_by(Task.rule_id, Task.period_start, Task.id)
    )
    owed = []
    for task in session.scalars(query):
        rule = catalog.rule(task.rule_id)
        org = task.organization
        short = org.name.removeprefix(unit.name[:-3]) if org.id != unit.id else ""
        owed.append(
            Owed(
                rule.id, tuple(t.text for t in rule_terms(rule)), rule.scope, org.code,
                (org.name, short), task.person.code if task.person else None,
                task.person.name if task.person else None, task.period_key,
                task.period_start, task.period_end,
            )
        )  # fmt: skip
    return owed


def cn_date(day: date) -> str:
    """二〇二六年三月十二日."""

    def small(n: int) -> str:
        tens, ones = divmod(n, 10)
        return (("" if tens == 1 else _CN[tens]) + "十" if tens else "") + (
            _CN[ones] if ones else ""
        )

    return "".join(_CN[int(c)] for c in str(day.year)) + f"年{small(day.month)}月{small(day.day)}日"


def build(
    folder: Path, owed: list[Owed], *, year: int, today: date, seed: int = SEED
) -> list[Label]:
    """Write the corpus into ``folder`` and its ``labels.json``; return the labels."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    labels: list[Label] = []
    used: set[str] = set()
    for task in owed:
        first, last = max(task.start, date(year, 1, 1)), min(task.end, today, date(year, 12, 31))
        if first > last:
            continue
        for _ in range(rng.choice([1, 1, 1, 2])):
            held = first + timedelta(days=rng.randrange((last - first).days + 1))
            shape = rng.choices(["docx", "pdf", "xlsx", "jpg"], weights=[4, 2, 2, 2])[0]
            name, data = _file(rng, task, held, shape)
            name = _unique(name, used)
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
            labels.append(Label(name, task.rule_id, task.org_code, task.person_code,
                                task.period_key, held.isoformat(), shape))  # fmt: skip
    for index, (name, data) in enumerate(_unmatched(rng, year)):
        name = _unique(name, used)
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        labels.append(Label(name, None, None, None, None, None, f"unmatched-{index % 6}"))
    (folder.parent / f"{folder.name}.labels.json").write_text(
        json.dumps([asdict(label) for label in labels], ensure_ascii=False, indent=1), "utf-8"
    )
    return labels


def _unique(name: str, used: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{stem}（{n}）{dot}{ext}"
    used.add(candidate)
    return candidate


def _who(rng: random.Random, task: Owed) -> tuple[str, str]:
    """How the file names its owner (short) and how the text's heading does (full)."""
    if task.scope is Scope.PERSON:
        return task.person_name or "", task.person_name or ""
    if task.scope is Scope.BRANCH and task.org_names[1]:
        short = rng.choice([task.org_names[1], task.org_names[1].replace("党支部", "支部")])
        return short, task.org_names[0]
    return "", ""


# Names a secretary may use that the catalog does not list: files named so are labelled with
# their task all the same, and count against recall when intake cannot place them.
UNLISTED = {
    "theme-party-day": "固定党日",
    "party-group-meeting": "小组学习",
    "central-group-study": "理论学习",
    "branch-committee-meeting": "支部工作会",
    "branch-general-meeting": "全体党员会议",
}


def _hard(rng: random.Random, task: Owed, held: date) -> tuple[str, bytes] | None:
    """About one file in seven is harder: the activity named only in the body of the text,
    a name the catalog does not list, or a file name whose date disagrees with the text's."""
    if rng.random() >= 0.15:
        return None
    who, who_full = _who(rng, task)
    day = f"{held.year}年{held.month}月{held.day}日"
    habit = rng.randrange(3)
    if habit == 0:
        body = f"{who_full}于{day}召开{rng.choice(task.terms)}，传达学习上级精神。"
        return f"{held.month}月/活动记录{rng.randrange(100)}.docx", docx_bytes(["会议记录", body])
    if habit == 1 and task.rule_id in UNLISTED:
        name = f"{held:%Y%m%d}{who}{UNLISTED[task.rule_id]}.docx"
        return name, docx_bytes([f"{who_full}{UNLISTED[task.rule_id]}记录", f"时间：{day}"])
    wrong = held - timedelta(days=rng.randrange(20, 40))
    name = f"{wrong:%Y%m%d}{who}{rng.choice(task.terms)}.docx"
    return name, docx_bytes([f"{who_full}{task.terms[0]}记录", f"时间：{day}"])


def _file(rng: random.Random, task: Owed, held: date, shape: str) -> tuple[str, bytes]:
    hard = _hard(rng, task, held)
    if hard is not None:
        return hard
    term = rng.choice(task.terms)
    who, who_full = _who(rng, task)
    suffix = {"docx": rng.choice(["记录", "会议记录", "纪要", ""]), "pdf": rng.choice(["记录", ""]),
              "xlsx": "签到表", "jpg": rng.choice(["照片", "活动照片", "合影"])}[shape]  # fmt: skip
    habit = rng.randrange(6)
    day = f"{held.year}年{held.month}月{held.day}日"
    names = [
        f"{held:%Y%m%d}{who}{term}{suffix}",
        f"{day}{term}{suffix}（{who}）" if who else f"{day}{term}{suffix}",
        f"{held.month}月/{who}{term}{suffix}",
        f"{who}_{term}_{held.year}.{held.month}.{held.day}".lstrip("_"),
        f"{term}{suffix}{held:%Y-%m-%d}{who}",
        f"{held.month}月/{term}{suffix}",  # the owner and date in the text only
    ]
    name = names[habit] + "." + shape
    when = cn_date(held) if rng.random() < 0.3 else day
    heading = f"{who_full}{term}{suffix or '记录'}"
    attending = rng.randrange(5, 30)
    lines = [
        heading, f"时间：{when}", "地点：学院会议室",
        f"应到 {attending + 2} 人，实到 {attending} 人",
        "主要内容：传达学习上级会议精神，结合实际研究部署下一步工作。",
    ]  # fmt: skip
    if shape == "docx":
        return name, docx_bytes(lines)
    if shape == "pdf":
        return name, pdf_bytes(lines)
    if shape == "xlsx":
        return name, sign_in_sheet(f"{heading}（{day}）", rng.sample(NAMES, k=min(attending, 20)))
    if habit == 5:  # a photo must carry its owner in its name
        name = f"{held.month}月/{who}{term}{suffix}.jpg"
    taken = datetime.combine(held, datetime.min.time(), LOCAL_TZ) + timedelta(hours=15)
    return name, jpeg_bytes(taken)


def _unmatched(rng: random.Random, year: int) -> list[tuple[str, bytes]]:
    """Files that prove no task: camera names, untitled documents, other work, last year."""
    files: list[tuple[str, bytes]] = []
    for n in range(12):
        taken = datetime(year, rng.randrange(1, 12), rng.randrange(1, 28), 10, tzinfo=LOCAL_TZ)
        files.append((f"相机/IMG_{2000 + n}.jpg", jpeg_bytes(taken)))
    for n in range(8):
        files.append(
            (
                f"新建 Microsoft Word 文档 ({n}).docx",
                docx_bytes(["会议通知", "请各位老师按时参加教研活动。"]),
            )
        )
    for n in range(8):
        files.append((f"教学/{year}年第{n + 1}周课表.xlsx", sign_in_sheet("课程表", NAMES[:5])))
    for n in range(6):
        files.append(
            (
                f"{year - 1}年{n + 7}月中心组学习记录.docx",
                docx_bytes(["中心组理论学习", f"时间：{year - 1}年{n + 7}月10日"]),
            )
        )
    for n in range(6):
        files.append(
            (f"学院简介{n}.pdf", pdf_bytes(["学院简介", "学院现有专业十二个，在校生五千余人。"]))
        )
    return files


def main() -> None:
    from click.testing import CliRunner

    from obligations.cli.main import cli
    from obligations.composition import Root
    from obligations.settings import Settings

    out = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="intake-corpus-"))
    )
    data_dir = out / "data"
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "init", "--demo"])
    assert result.exit_code == 0, result.output
    root = Root(Settings(data_dir=data_dir))
    with root.sessions() as session:
        owed = owed_tasks(session, root.catalog, "U01", 2026)
    labels = build(out / "corpus", owed, year=2026, today=date(2026, 12, 31))
    print(
        f"{len(labels)} 个文件，{sum(1 for x in labels if x.rule_id)} 个对应任务：{out / 'corpus'}"
    )


if __name__ == "__main__":
    main()
