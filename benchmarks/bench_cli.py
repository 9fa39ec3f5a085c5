"""Benchmark: how fast the ``obligations`` command answers.

Each command runs as a fresh subprocess several times; the minimum and the median of its wall
clock (start to exit) are printed, and of its CPU time (user + system), which other processes
on a shared machine disturb less. Baselines, measured in the same run: ``python -c pass`` (the
interpreter's own start) and ``python -c "import click"`` (the least a click command costs).
Targets: ``obligations --help`` within 0.3 s and ``obligations tasks list --unit U01`` on the
demo data directory (created here with ``init --demo``) within 1 s.

    python -m benchmarks.bench_cli [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def obligations_command() -> list[str]:
    """The installed console script beside this interpreter, else the same entry point via -c."""
    script = Path(sys.executable).parent / "obligations"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from obligations.cli.main import main; main()"]


def timings(command: list[str], repeat: int, env: dict[str, str]) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of ``repeat`` runs; a failing run stops the benchmark."""
    runs = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        runs.append((wall, cpu))
    return runs


def report(label: str, runs: list[tuple[float, float]], target: float | None = None) -> None:
    wall = [w for w, _ in runs]
    cpu = [c for _, c in runs]
    verdict = ""
    if target is not None:
        met = statistics.median(wall) <= target
        verdict = f"  target {target:.2f} s: {'ok' if met else 'MISSED'}"
    print(
        f"{label:<36} wall min {min(wall):6.3f} median {statistics.median(wall):6.3f} s"
        f"   cpu min {min(cpu):6.3f} median {statistics.median(cpu):6.3f} s{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    cli = obligations_command()
    folder = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    env = dict(os.environ, OBLIGATIONS_DATA_DIR=str(folder / "data"))
    try:
        subprocess.run([*cli, "init", "--demo"], check=True, env=env, stdout=subprocess.DEVNULL)
        load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
        print(f"{args.repeat} runs each; interpreter {sys.executable}; load average {load}")
        report("python -c pass", timings([sys.executable, "-c", "pass"], args.repeat, env))
        report(
            'python -c "import click"',
            timings([sys.executable, "-c", "import click"], args.repeat, env),
        )
        report("obligations --help", timings([*cli, "--help"], args.repeat, env), 0.3)
        report(
            "obligations tasks list --unit U01",
            timings([*cli, "tasks", "list", "--unit", "U01"], args.repeat, env),
            1.0,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
