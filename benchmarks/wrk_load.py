"""The web load benchmark's light client: ``wrk`` (C, epoll) over the same paths, so that the
load generator's own CPU does not cap the server it measures (see ``bench_web_load``)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# Each connection requests the paths in turn (starting at a different one), with the session
# cookie; at the end one line of figures: requests, microseconds, p50, p95 (microseconds),
# answers other than 200, socket errors.
SCRIPT = """
local paths = {paths}
local cookie = {cookie}
local threads = {{}}
local made = 0
function setup(thread)
  thread:set("start", made)
  made = made + 1
  table.insert(threads, thread)
end
function init(args)
  turn = start
  non200 = 0
end
function request()
  local path = paths[(turn % #paths) + 1]
  turn = turn + 1
  return wrk.format("GET", path, {{["Cookie"] = cookie}})
end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non200") end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), bad,
    e.connect + e.read + e.write + e.timeout))
end
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def wrk_load(
    base: str,
    paths: Sequence[str],
    cookies: dict[str, str],
    clients: int,
    seconds: float,
    sample: Callable[[], float],
) -> dict[str, float]:
    """``clients`` keep-alive connections over ``paths`` for ``seconds`` (two wrk threads,
    one per core); ``sample()`` (the server's RSS in MiB) is read at 30, 60 and 120 s."""
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "rotate.lua"
        lua_paths = "{" + ", ".join(json.dumps(p) for p in paths) + "}"
        script.write_text(SCRIPT.format(paths=lua_paths, cookie=json.dumps(cookie)))
        threads = str(min(2, clients))
        command = ["wrk", "-t", threads, "-c", str(clients), "-d", f"{seconds:.0f}s"]
        command += ["--timeout", "30s", "-s", str(script), base]
        start = time.monotonic()
        run = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        memory: dict[int, float] = {}
        for mark in (30, 60, 120):
            if mark > seconds:
                break
            time.sleep(max(0.0, start + mark - 0.5 - time.monotonic()))
            memory[mark] = sample()
        output, _ = run.communicate()
    found = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", output)
    if found is None:
        raise RuntimeError(f"wrk gave no figures:\n{output}")
    requests, micros, p50, p95, non200, socket_errors = map(int, found.groups())
    result = {
        "requests": float(requests),
        "rps": requests / (micros / 1e6),
        "p50_ms": p50 / 1000,
        "p95_ms": p95 / 1000,
        "errors": float(non200 + socket_errors),
    }
    result.update({f"rss_{mark}s_mb": value for mark, value in memory.items()})
    return result
