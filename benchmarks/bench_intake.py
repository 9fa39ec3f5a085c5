"""Benchmark: bulk evidence intake on the labelled corpus (:mod:`benchmarks.intake_corpus`).

Accuracy: precision of the proposed task among the proposals with confidence >= 0.9 (target
>= 95 %), and recall: the share of files that do prove a task for which that task is
proposed, at any confidence (target >= 80 %); both per rule.

Speed: 1,000 files of about 500 MB (Word, PDF, Excel files and ~1 MB photos) proposed in a
child process, against ``sha256sum`` over the same files in the same run (target <= 60 s,
RSS growth < 200 MB; the files are in the page cache for both).

    python -m benchmarks.bench_intake [--files 1000] [--photo-kib 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

from benchmarks.intake_corpus import build, owed_tasks
from benchmarks.intake_files import docx_bytes, jpeg_bytes, pdf_bytes, sign_in_sheet
from obligations.accounts.access import operator
from obligations.composition import Root
from obligations.evidence.bulk.service import IntakeRequest, propose_files
from obligations.evidence.bulk.sources import Source
from obligations.models import Task
from obligations.settings import Settings
from obligations.timeutil import LOCAL_TZ

YEAR, TODAY = 2026, date(2026, 12, 31)


def demo(folder: Path) -> Root:
    from click.testing import CliRunner

    from obligations.cli.main import cli

    data_dir = folder / "data"
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "init", "--demo"])
    assert result.exit_code == 0, result.output
    return Root(Settings(data_dir=data_dir))


def propose(root: Root, corpus: Path) -> list[dict[str, object]]:
    with Source(corpus) as source:
        found = propose_files(
            root.sessions, root.catalog, source, IntakeRequest("U01", YEAR), by=operator("bench"),
            today=TODAY, limits=root.evidence_policy.limits,
        )  # fmt: skip
        return [{"file": p.file, "task_id": p.task_id, "confidence": p.confidence} for p in found]


def accuracy(root: Root, folder: Path) -> None:
    with root.sessions() as session:
        owed = owed_tasks(session, root.catalog, "U01", YEAR)
        keys = {
            t.id: (
                t.rule_id,
                t.organization.code,
                t.person.code if t.person else None,
                t.period_key,
            )
            for t in session.query(Task).all()
        }
    labels = {label.file: label for label in build(folder / "corpus", owed, year=YEAR, today=TODAY)}
    started = time.perf_counter()
    found = propose(root, folder / "corpus")
    seconds = time.perf_counter() - started
    confident, right_confident, matching, recalled = Counter(), Counter(), Counter(), Counter()
    false_matches = 0
    for proposal in found:
        label = labels[str(proposal["file"])]
        truth = (label.rule_id, label.org_code, label.person_code, label.period_key)
        task_id = proposal["task_id"]
        got = keys.get(task_id) if isinstance(task_id, int) else None
        kind = label.rule_id or "（不对应任务）"
        if float(str(proposal["confidence"])) >= 0.9:
            confident[kind] += 1
            right_confident[kind] += got == truth
        if label.rule_id:
            matching[kind] += 1
            recalled[kind] += got == truth
        elif got is not None:
            false_matches += 1
    print(
        f"语料：{len(found)} 个文件（{sum(matching.values())} 个对应任务），用时 {seconds:.1f} 秒"
    )
    print(f"{'规则':<32}{'文件':>5}{'≥0.9':>6}{'精确率':>8}{'召回率':>8}")
    for kind in sorted(set(matching) | set(confident)):
        precision = right_confident[kind] / confident[kind] if confident[kind] else float("nan")
        recall = recalled[kind] / matching[kind] if matching[kind] else float("nan")
        print(f"{kind:<32}{matching[kind]:>5}{confident[kind]:>6}{precision:>9.1%}{recall:>9.1%}")
    total_conf = sum(confident.values())
    print(
        f"合计：置信度≥0.9 的 {total_conf} 个中正确 {sum(right_confident.values())} 个，"
        f"精确率 {sum(right_confident.values()) / max(1, total_conf):.1%}（目标 ≥95%）；"
        f"召回率 {sum(recalled.values()) / max(1, sum(matching.values())):.1%}（目标 ≥80%）；"
        f"不对应任务却给出任务的 {false_matches} 个"
    )


def speed_corpus(folder: Path, files: int, photo_kib: int) -> int:
    """``files`` files, half ~``photo_kib`` KiB photos, half documents; returns their bytes."""
    rng = random.Random(1000)
    folder.mkdir(parents=True)
    size = 0
    for n in range(files):
        held = date(YEAR, 1, 1) + timedelta(days=rng.randrange(330))
        who = f"教工第{'一二'[n % 2]}党支部"
        lines = [f"{who}主题党日活动记录", f"时间：{held.year}年{held.month}月{held.day}日",
                 f"实到 {rng.randrange(5, 30)} 人", f"编号 {n}"]  # fmt: skip
        if n % 2:
            taken = datetime.combine(held, datetime.min.time(), LOCAL_TZ)
            data = jpeg_bytes(taken, noise=os.urandom(photo_kib * 1024))
            name = f"{held:%Y%m%d}{who}主题党日照片{n}.jpg"
        elif n % 6 == 0:
            data, name = pdf_bytes(lines), f"{held.month}月/主题党日记录{n}.pdf"
        elif n % 6 == 2:
            data, name = sign_in_sheet(lines[0], ["张三", "李四"] * 10), f"签到表{n}.xlsx"
        else:
            data, name = docx_bytes(lines * 20), f"{held:%Y.%m.%d}主题党日{n}.docx"
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        size += len(data)
    return size


def speed(root: Root, folder: Path, files: int, photo_kib: int) -> None:
    corpus = folder / "speed"
    size = speed_corpus(corpus, files, photo_kib)
    paths = sorted(str(p) for p in corpus.rglob("*") if p.is_file())
    started = time.perf_counter()
    subprocess.run(["sha256sum", *paths], check=True, capture_output=True)
    baseline = time.perf_counter() - started
    command = [
        sys.executable,
        "-m",
        "benchmarks.bench_intake",
        "--child",
        str(root.settings.data_dir),
        str(corpus),
    ]
    report = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    print(
        f"速度：{files} 个文件 {size / 1024**2:.0f} MB，提出建议 {report['seconds']:.1f} 秒"
        f"（目标 ≤60 秒）；同次基线 sha256sum {baseline:.1f} 秒；"
        f"内存增长 {report['rss_growth_mib']:.0f} MB（目标 <200 MB）"
    )


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def child(data_dir: Path, corpus: Path) -> None:
    root = Root(Settings(data_dir=data_dir))
    _ = root.catalog, root.sessions  # built before the baseline: the run's cost only
    import docx  # noqa: F401  (imported before the baseline)

    before = _rss_kib("VmRSS")
    started = time.perf_counter()
    count = len(propose(root, corpus))
    seconds = time.perf_counter() - started
    growth = (_rss_kib("VmHWM") - before) / 1024
    print(json.dumps({"seconds": seconds, "files": count, "rss_growth_mib": growth}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--photo-kib", type=int, default=1000)
    parser.add_argument("--child", nargs=2, metavar=("DATA_DIR", "CORPUS"))
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as raw:
        folder = Path(raw)
        root = demo(folder)
        accuracy(root, folder)
        speed(root, folder, args.files, args.photo_kib)


if __name__ == "__main__":
    main()
