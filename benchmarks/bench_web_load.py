"""The web server under load: concurrent clients over the pages people open, beside a trivial
FastAPI app served the same way with the same number of workers, in the same run.

The demo college is created in a temporary data directory (`init --demo`), or with ``--tasks
N`` the synthetic college of ``bench_web`` (30 units x 10 branches, N tasks over five years),
with one account; `obligations serve --workers N --no-scheduler` serves it, and the trivial app
runs under the same launcher (``obligations.cli.serve_workers``) with the same workers. Each
of ``--clients`` clients, signed in, requests in turn the overview, a unit page, a task page
and the calendar feed, each on a connection of its own client, for ``--seconds``. Reported:
requests per second, p50/p95, errors, and the resident memory of the server's processes at 30,
60 and 120 s (sum over workers).

Issue targets (2-core machine, ``--workers 2``, 20 clients): throughput at least 0.35x the
trivial app's, p95 at most 300 ms, no errors, memory flat after warm-up.

The load generator shares the machine's cores with the servers. The default client (Python
httpx, asyncio) costs about as much CPU per request as the trivial app itself, so it caps that
app's figure; ``--client wrk`` drives the same paths with ``wrk`` (C, Debian package ``wrk``;
a Lua script rotates the paths, sends the session cookie and reports the 95th percentile and
non-200 answers), so the ratio measures the servers. ``--no-feed`` leaves the calendar feed out
of the rotation (to see the pages alone).

    .venv/bin/python -m benchmarks.bench_web_load [--clients 20] [--seconds 30] [--workers 2]
        [--client httpx|wrk] [--no-feed] [--tasks 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import httpx

from benchmarks.bench_web import populate
from benchmarks.wrk_load import wrk_available, wrk_load
from obligations.accounts import feed_address
from obligations.accounts import users as accounts
from obligations.db import make_engine, session_factory
from obligations.settings import Settings
from obligations.timeutil import utcnow

BIN = Path(sys.executable).parent
PASSWORD = "bench horse battery"
TRIVIAL_APP = textwrap.dedent(
    """
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    app = FastAPI()

    @app.get("/{path:path}", response_class=HTMLResponse)
    def page(path: str) -> str:
        return "<html><body>" + path + "</body></html>"

    def factory() -> FastAPI:
        return app
    """
)
# The trivial app under the launcher `serve --workers` uses (a socket of its own per worker), so
# that both servers differ only in the app. Under `uvicorn --workers N` instead, the trivial app
# answers 454 requests/s at 44 ms each (Nagle's algorithm left on: see
# obligations.cli.serve_workers), which would flatter the ratio about twelvefold.
TRIVIAL_WORKERS = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from obligations.cli.serve_workers import run_workers; "
    "run_workers('trivial:factory', workers=int(sys.argv[2]), host='127.0.0.1', "
    "port=int(sys.argv[3]))"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, server: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} never answered")


def rss_mb(parent: int) -> float:
    """Resident memory of ``parent`` and its children, in MiB."""
    pids = [str(parent), *Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(found.group(1)) if found else 0
    return total / 1024


def cpu_seconds(parent: int) -> float:
    """CPU time (user + system) used so far by ``parent`` and its children, in seconds."""
    pids = [str(parent), *Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


async def load(
    base: str,
    paths: Sequence[str],
    cookies: dict[str, str],
    clients: int,
    seconds: float,
    server: int,
) -> dict[str, float]:
    """Run ``clients`` concurrent clients over ``paths`` for ``seconds``."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    memory: dict[int, float] = {}
    start = time.monotonic()

    async def client(number: int) -> None:
        async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=30) as http:
            turn = number
            while time.monotonic() - start < seconds:
                path = paths[turn % len(paths)]
                turn += 1
                began = time.perf_counter()
                try:
                    answer = await http.get(path)
                    if answer.status_code != 200:
                        errors[f"{path} {answer.status_code}"] += 1
                except httpx.HTTPError as error:
                    errors[f"{path} {type(error).__name__}"] += 1
                latencies.append(time.perf_counter() - began)

    async def sample_memory() -> None:
        for mark in (30, 60, 120):
            if mark > seconds:
                return
            await asyncio.sleep(max(0.0, start + mark - time.monotonic()))
            memory[mark] = rss_mb(server)

    await asyncio.gather(sample_memory(), *(client(n) for n in range(clients)))
    elapsed = time.monotonic() - start
    ordered = sorted(latencies)
    result = {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(len(ordered) * 0.95)] * 1000,
        "errors": sum(errors.values()),
    }
    if errors:
        print("errors:", dict(errors))
    result.update({f"rss_{mark}s_mb": value for mark, value in memory.items()})
    return result


def sign_in(base: str) -> dict[str, str]:
    with httpx.Client(base_url=base, timeout=30) as browser:
        form = browser.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        answer = browser.post(
            "/login",
            data={
                "username": "bench",
                "password": PASSWORD,
                "csrf_token": token.group(1),
                "next": "/my",
            },
        )
        assert answer.status_code == 303, answer.text
        return dict(browser.cookies)


def pages(base: str, cookies: dict[str, str], data: Path) -> list[str]:
    """The overview, a unit page, a task page and the user's calendar feed."""
    with httpx.Client(base_url=base, cookies=cookies, timeout=30) as browser:
        unit = browser.get("/units/U01")
        task = re.search(r'href="(/tasks/\d+)"', unit.text)
        assert unit.status_code == 200 and task is not None
    paths = ["/", "/units/U01", task.group(1)]
    return [*paths, f"/calendar/{feed_token(data)}.ics"]


def feed_token(data: Path) -> str:
    """A calendar-feed token for the benchmark's account (the page makes one the same way)."""
    settings = Settings(data_dir=data)
    engine = make_engine(settings.effective_database_url)
    try:
        with session_factory(engine).begin() as session:
            user = accounts.get_user(session, "bench")
            feed_address.new_feed_address(session, user, now=utcnow())
            token = feed_address.feed_token(feed_address.load_feed_key(data), user)
            assert token is not None
            return token
    finally:
        engine.dispose()


def serve(command: list[str | Path], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--client", choices=("httpx", "wrk"), default="httpx")
    parser.add_argument("--no-feed", action="store_true", help="leave the calendar feed out")
    parser.add_argument(
        "--tasks", type=int, default=0, help="a synthetic college of this many tasks (not the demo)"
    )
    args = parser.parse_args()
    if args.client == "wrk" and not wrk_available():
        parser.error("wrk is not installed (Debian: apt-get install wrk)")

    def run(base: str, paths: Sequence[str], cookies: dict[str, str], pid: int) -> dict[str, float]:
        """The load, and the servers' CPU per request: a figure other processes on the machine
        do not change, unlike requests per second."""
        used = cpu_seconds(pid)
        if args.client == "wrk":
            result = wrk_load(base, paths, cookies, args.clients, args.seconds, lambda: rss_mb(pid))
        else:
            result = asyncio.run(load(base, paths, cookies, args.clients, args.seconds, pid))
        result["cpu_ms_per_request"] = (cpu_seconds(pid) - used) * 1000 / result["requests"]
        return result

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        if args.tasks:
            data.mkdir()
            engine = make_engine(f"sqlite:///{data / 'obligations.sqlite3'}")
            populate(engine, args.tasks)
            engine.dispose()
            print(f"college: synthetic, 30 units, {args.tasks:,} tasks")
        else:
            subprocess.run(
                [BIN / "obligations", "--data-dir", data, "init", "--demo"],
                check=True,
                capture_output=True,
            )
            print("college: the demo (init --demo)")
        subprocess.run(
            [BIN / "obligations", "--data-dir", data, "user", "add", "bench", "--role", "admin"],
            input=f"{PASSWORD}\n{PASSWORD}\n".encode(),
            check=True,
            capture_output=True,
        )
        (Path(folder) / "trivial.py").write_text(TRIVIAL_APP, encoding="utf-8")
        results = {}
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command: list[str | Path]
        if args.workers == 1:
            command = [BIN / "uvicorn", "trivial:app", "--port", str(port), "--app-dir", folder]
        else:
            command = [sys.executable, "-c", TRIVIAL_WORKERS, folder, str(args.workers), str(port)]
        trivial = serve(command, env)
        try:
            wait_for(f"{base}/x", trivial)
            trivial_paths = ["/", "/units/U01", "/tasks/1", "/calendar/x.ics"]
            trivial_paths = trivial_paths[:3] if args.no_feed else trivial_paths
            results["trivial FastAPI app"] = run(base, trivial_paths, {}, trivial.pid)
        finally:
            stop(trivial)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = serve(
            [
                BIN / "obligations",
                "--data-dir",
                data,
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--no-scheduler",
            ],
            env,
        )
        try:
            wait_for(f"{base}/login", server)
            cookies = sign_in(base)
            paths = pages(base, cookies, data)
            paths = paths[:3] if args.no_feed else paths
            print("pages:", ", ".join(paths))
            results["obligations"] = run(base, paths, cookies, server.pid)
        finally:
            stop(server)
    for name, figures in results.items():
        shown = ", ".join(f"{key} {value:.1f}" for key, value in figures.items())
        print(f"{name:22} {shown}")
    ratio = results["obligations"]["rps"] / results["trivial FastAPI app"]["rps"]
    cpu = (
        results["trivial FastAPI app"]["cpu_ms_per_request"]
        / results["obligations"]["cpu_ms_per_request"]
    )
    print(f"server CPU per request: the trivial app's is {cpu:.2f}x obligations'")
    print(
        f"throughput ratio {ratio:.2f}x the trivial app (target >= 0.35x); "
        f"{args.workers} workers, {args.clients} clients, {args.seconds:.0f} s, "
        f"client {args.client}{', no feed' if args.no_feed else ''}; load average "
        + " ".join(f"{n:.1f}" for n in os.getloadavg())
    )


if __name__ == "__main__":
    main()
