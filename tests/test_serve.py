"""`obligations serve` runs the dashboard and the reminder clock in one process."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

OBLIGATIONS = Path(sys.executable).parent / "obligations"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_answers_on_its_port_with_the_scheduler_running_and_stops_cleanly(
    tmp_path: Path, stop: signal.Signals
) -> None:
    data = tmp_path / "data"
    subprocess.run([OBLIGATIONS, "--data-dir", data, "init", "--demo"], check=True,
                   capture_output=True)  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [OBLIGATIONS, "--data-dir", data, "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.2)
        assert login.status_code == 200 and "登录" in login.text
    finally:
        server.send_signal(stop)
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output
    assert "Traceback" not in output
    assert "提醒调度已在本进程启动：" in output


def worker_processes(parent: int) -> set[int]:
    """The processes ``parent`` started as multiprocessing workers (uvicorn's)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    found = set()
    for child in children:
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"multiprocessing" in command and b"resource_tracker" not in command:
            found.add(int(child))
    return found


def test_serve_with_workers_shares_logins_across_processes_and_runs_one_reminder_clock(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    subprocess.run([OBLIGATIONS, "--data-dir", data, "init"], check=True, capture_output=True)
    password = "correct horse battery"
    subprocess.run([OBLIGATIONS, "--data-dir", data, "user", "add", "chief", "--role", "admin"],
                   input=f"{password}\n{password}\n", text=True, check=True,
                   capture_output=True)  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [OBLIGATIONS, "--data-dir", data, "serve", "--port", str(port), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while len(worker_processes(server.pid)) < 2 or not answers(base):
            assert server.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the workers never answered"
            time.sleep(0.2)
        assert len(worker_processes(server.pid)) == 2
        with httpx.Client(base_url=base, timeout=10) as browser:
            form = browser.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token is not None
            signed_in = browser.post("/login", data={
                "username": "chief", "password": password, "csrf_token": token.group(1),
                "next": "/my"})  # fmt: skip
            assert signed_in.status_code == 303
            cookies = dict(browser.cookies)
        # A new connection each time, so both workers serve some of them: every one knows the
        # session, since sessions live in the database, not in a process.
        pages = [httpx.get(f"{base}/my", cookies=cookies, timeout=10) for _ in range(20)]
        assert [p.status_code for p in pages] == [200] * 20
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output
    assert "Traceback" not in output
    assert output.count("提醒调度已在本进程启动：") == 1
    assert output.count("Started server process") == 2  # uvicorn's line, once per worker


def answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/login", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_the_process_supervising_several_workers_does_not_load_the_web_app(
    tmp_path: Path,
) -> None:
    # The supervisor replaced by a note of what it was asked: the parent's own imports remain.
    script = (
        "import sys\n"
        "from obligations.cli import serve_workers\n"
        "serve_workers.run_workers = lambda app, **options: print('serving', app,\n"
        "                                                        options['workers'])\n"
        "from obligations.cli.main import main\n"
        "sys.argv = ['obligations', '--data-dir', sys.argv[1], 'serve', '--workers', '2',\n"
        "            '--no-scheduler']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('loaded:', 'fastapi' in sys.modules, 'obligations.web.app' in sys.modules)\n"
    )
    data = tmp_path / "data"
    subprocess.run([OBLIGATIONS, "--data-dir", data, "init"], check=True, capture_output=True)
    run = subprocess.run(
        [sys.executable, "-c", script, str(data)], capture_output=True, text=True, check=True
    )
    assert "serving obligations.web:app_from_environment 2" in run.stdout
    assert "loaded: False False" in run.stdout


def test_a_serving_process_settles_its_heap_once_the_app_is_built(tmp_path: Path) -> None:
    """Both ways `serve` starts the app leave the startup objects out of the collector's scans
    (see ``obligations.web.settle_heap``); the app built for tests does not."""
    script = (
        "import gc, sys, uvicorn\n"
        "uvicorn.run = lambda app, **options: print('frozen', gc.get_freeze_count())\n"
        "from obligations.web import create_app\n"
        "from obligations.settings import Settings\n"
        "create_app(Settings(data_dir=sys.argv[1]))\n"
        "print('test app', gc.get_freeze_count())\n"
        "from obligations.cli.main import main\n"
        "sys.argv = ['obligations', '--data-dir', sys.argv[1], 'serve', '--no-scheduler']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "from obligations.web import app_from_environment\n"
        "gc.unfreeze()\n"
        "app_from_environment()\n"
        "print('factory', gc.get_freeze_count())\n"
    )
    data = tmp_path / "data"
    subprocess.run([OBLIGATIONS, "--data-dir", data, "init"], check=True, capture_output=True)
    env = {**os.environ, "OBLIGATIONS_DATA_DIR": str(data)}
    run = subprocess.run(
        [sys.executable, "-c", script, str(data)], capture_output=True, text=True, check=True,
        env=env,
    )  # fmt: skip
    counts = dict(line.rsplit(" ", 1) for line in run.stdout.splitlines() if line[-1].isdigit())
    assert counts["test app"] == "0"
    assert int(counts["frozen"]) > 50_000  # the modules, catalog and templates of a server
    assert int(counts["factory"]) > 50_000


def listening_sockets(port: int) -> int:
    """How many sockets listen on ``port`` (IPv4), from the kernel's table."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    local_and_state = [(row.split()[1], row.split()[3]) for row in rows]
    return sum(1 for local, state in local_and_state if local.endswith(f":{port:04X}")
               and state == "0A")  # fmt: skip


def test_each_worker_listens_on_a_socket_of_its_own_so_the_kernel_spreads_connections(
    tmp_path: Path,
) -> None:
    # One socket shared by all workers lets one worker take nearly every connection
    # (obligations.cli.serve_workers); one socket per worker in a SO_REUSEPORT group does not.
    data = tmp_path / "data"
    subprocess.run([OBLIGATIONS, "--data-dir", data, "init"], check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [OBLIGATIONS, "--data-dir", data, "serve", "--port", str(port), "--workers", "3",
         "--no-scheduler"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while listening_sockets(port) < 3 or not answers(base):
            assert server.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the workers never listened"
            time.sleep(0.2)
        assert listening_sockets(port) == 3
        # A second server on the same port would join the group and take a share of the
        # connections: it is refused.
        second = subprocess.run(
            [OBLIGATIONS, "--data-dir", data, "serve", "--port", str(port), "--workers", "2"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode == 1 and "端口已被占用" in second.stderr
        # A worker that dies is replaced, and the replacement binds its own socket again.
        os.kill(min(worker_processes(server.pid)), signal.SIGKILL)
        deadline = time.monotonic() + 60
        while listening_sockets(port) < 3 or len(worker_processes(server.pid)) < 3:
            assert time.monotonic() < deadline, "the dead worker was not replaced"
            time.sleep(0.2)
        assert all(answers(base) for _ in range(12))
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output
    assert listening_sockets(port) == 0


def test_serve_on_a_port_in_use_says_so_in_chinese_before_starting_anything(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    subprocess.run([OBLIGATIONS, "--data-dir", data, "init"], check=True, capture_output=True)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for workers in ("1", "2"):
            run = subprocess.run(
                [OBLIGATIONS, "--data-dir", data, "serve", "--port", str(port), "--workers",
                 workers],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert run.returncode == 1
            assert f"错误：无法在 127.0.0.1:{port} 上监听：端口已被占用" in run.stderr
            assert "Traceback" not in run.stderr + run.stdout
            assert "提醒调度已在本进程启动" not in run.stdout  # nothing was started


def test_workers_end_with_their_supervisor_even_when_it_is_killed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    subprocess.run([OBLIGATIONS, "--data-dir", data, "init"], check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [OBLIGATIONS, "--data-dir", data, "serve", "--port", str(port), "--workers", "2",
         "--no-scheduler"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while listening_sockets(port) < 2:
        assert server.poll() is None, "the server exited"
        assert time.monotonic() < deadline, "the workers never listened"
        time.sleep(0.2)
    server.kill()  # SIGKILL: the supervisor cannot stop its workers itself
    server.wait(timeout=30)
    deadline = time.monotonic() + 30
    while listening_sockets(port) > 0:
        assert time.monotonic() < deadline, "workers outlived their supervisor"
        time.sleep(0.2)


def test_a_second_server_whose_start_races_the_first_is_refused(tmp_path: Path) -> None:
    # The first server holds the port's reservation from before its workers bind; a second one
    # started in that moment finds the reservation taken, not yet a listening socket.
    from obligations.cli.serve_workers import reserve_port

    data = tmp_path / "data"
    subprocess.run([OBLIGATIONS, "--data-dir", data, "init"], check=True, capture_output=True)
    port = free_port()
    with reserve_port(port):
        run = subprocess.run(
            [OBLIGATIONS, "--data-dir", data, "serve", "--port", str(port), "--workers", "2"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert run.returncode == 1
    assert f"错误：无法在 127.0.0.1:{port} 上监听：端口已被占用" in run.stderr


def test_another_process_manager_starting_the_app_on_an_uninitialised_directory_is_refused(
    tmp_path: Path,
) -> None:
    # uvicorn --factory obligations.web:app_from_environment, as the README shows: without the
    # check it served a login page whose every use failed, and left an empty database file.
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (empty, tmp_path / "missing"):
        run = subprocess.run(
            [Path(sys.executable).parent / "uvicorn", "--factory",
             "obligations.web:app_from_environment", "--port", str(free_port())],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "OBLIGATIONS_DATA_DIR": str(folder)},
        )  # fmt: skip
        assert run.returncode == 3  # uvicorn's "failed to start": a supervisor does not retry
        assert f"错误：数据目录 {folder} 不存在或尚未初始化" in run.stderr
        assert "Traceback" not in run.stderr
    assert list(empty.iterdir()) == []
