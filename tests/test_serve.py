"""`obligations serve` runs the dashboard and the reminder clock in one process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

OBLIGATIONS = Path(sys.executable).parent / "obligations"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_on_its_port_with_the_scheduler_running_and_stops_cleanly(
    tmp_path: Path,
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
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output
    assert "Traceback" not in output
    assert "提醒调度已在本进程启动：" in output
