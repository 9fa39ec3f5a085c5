"""Benchmark: storing one large upload through ``evidence.intake.add``, the two intake steps
the CLI and the web app take (it streams the file into the ``LocalBlobStore`` and records it).

Baseline, measured in the same run: ``sha256sum`` over the same file. The put runs in a child
process that reports its time and its peak RSS above the RSS it had just before the put.
Targets: at least half of sha256sum's throughput; under 64 MiB of memory above the baseline.
The put's time includes writing the object and fsyncing it; the file to store is in the page
cache for both measurements (it has just been written).

    python -m benchmarks.bench_storage [--size-mib 1024]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from obligations.accounts.access import operator
from obligations.db import make_engine, session_factory
from obligations.evidence import intake
from obligations.evidence.intake import TaskTarget, Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.evidence.storage.limits import MIB
from obligations.models import Organization, Task
from obligations.rules.catalog import load_catalog
from obligations.schema import upgrade
from obligations.settings import Settings
from obligations.timeutil import local_date, utcnow
from obligations.vocabulary import OrgKind


def make_file(path: Path, size_mib: int) -> None:
    """Random content behind a PDF header, so the type check lets it through."""
    with path.open("wb") as out:
        for index in range(size_mib):
            block = os.urandom(MIB)
            out.write(b"%PDF-1.7\n" + block[9:] if index == 0 else block)


def time_sha256sum(path: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["sha256sum", str(path)], check=True, capture_output=True)
    return time.perf_counter() - started


def time_put(path: Path, root: Path) -> dict[str, float]:
    command = [sys.executable, "-m", "benchmarks.bench_storage", "--child", str(path), str(root)]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    report: dict[str, float] = json.loads(result.stdout)
    return report


def current_rss_kib() -> int:
    """Resident memory now (not the peak so far, which imports may have pushed up)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: the peak so far


def one_task(root: Path) -> tuple[sessionmaker[Session], int]:
    """A fresh SQLite database holding one unit and one task open today."""
    engine = make_engine(f"sqlite:///{root / 'obligations.sqlite3'}")
    upgrade(engine)
    now, today = utcnow(), local_date(utcnow())
    sessions = session_factory(engine)
    with sessions.begin() as session:
        stamps = {"created_at": now, "updated_at": now}
        unit = Organization(code="U01", name="单位", kind=OrgKind.DIRECT_BRANCH, **stamps)
        session.add(unit)
        session.flush()
        task = Task(
            rule_id="bench", ledger_item="2.4", unit_id=unit.id, organization_id=unit.id,
            scope_key=f"o{unit.id}", period_key="bench", period_start=today - timedelta(days=9),
            period_end=today + timedelta(days=9), opens_on=today, due_on=today, min_count=1,
            **stamps,
        )  # fmt: skip
        session.add(task)
        session.flush()
        return sessions, task.id


def child(path: Path, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    sessions, task_id = one_task(root)
    store = LocalBlobStore(root / "evidence")
    policy = EvidencePolicy(limits=UploadLimits(max_bytes=path.stat().st_size))
    data = EvidenceInput(title="大文件", held_on=local_date(utcnow()))
    catalog = load_catalog(Settings().rules_dirs)
    baseline_kib = current_rss_kib()
    started = time.perf_counter()
    with path.open("rb") as stream:
        intake.add(
            sessions, store, policy, catalog, target=TaskTarget(task_id), data=data,
            uploads=[Upload("benchmark.pdf", stream)], by=operator("benchmark"), now=utcnow(),
        )  # fmt: skip
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "baseline_kib": baseline_kib, "peak_kib": peak_kib}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--child", nargs=2, metavar=("FILE", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "upload.bin"
        make_file(source, args.size_mib)
        baseline = time_sha256sum(source)
        put = time_put(source, Path(folder) / "blobs")
    size = args.size_mib
    base_rate = size / baseline
    put_rate = size / put["seconds"]
    above = (put["peak_kib"] - put["baseline_kib"]) / 1024
    print(f"file:                 {size} MiB of random bytes")
    print(f"baseline sha256sum:   {baseline:.2f} s  {base_rate:.0f} MiB/s")
    print(
        f"evidence.intake.add: {put['seconds']:.2f} s  {put_rate:.0f} MiB/s  "
        f"({put_rate / base_rate:.2f}x sha256sum; target >= 0.5x)"
    )
    print(
        f"peak memory:          {above:.1f} MiB above the child's baseline "
        f"({put['baseline_kib'] / 1024:.1f} MiB); target < 64 MiB"
    )


if __name__ == "__main__":
    main()
