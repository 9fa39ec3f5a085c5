"""Several web worker processes on one port, each with a listening socket of its own.

uvicorn's multiprocess mode binds one socket in the parent and hands it to every worker; the
workers then race to accept, and the kernel wakes the most recently idle one first, so one
worker takes nearly every connection. Measured with ``bench_web_load`` (2 workers, 20
keep-alive clients): one worker at 114 % CPU, the other at 1 %. Neither uvicorn (its pull
request #2472 is still open) nor gunicorn (its ``reuse_port`` still shares the parent's one
socket) binds a socket per worker, hence this module: each worker binds its own socket with
``SO_REUSEPORT`` on the same address, and Linux spreads new connections over the sockets by a
hash of their addresses (``socket(7)``).

The socket is made with its protocol named (``IPPROTO_TCP``), as asyncio needs to set
``TCP_NODELAY`` on each connection it accepts. uvicorn's own socket has protocol 0, so its
workers leave Nagle's algorithm on, and an answer written in two parts (headers, then body)
waits for the client's delayed acknowledgement: about 40 ms per request (measured: a trivial app
under ``uvicorn --workers 2``, 454 requests/s at 44 ms each; on these sockets, 5,630/s).

uvicorn's supervisor still runs the workers (its health checks, restarts, and signals); it
hands the workers its ``sockets`` by pickling them into each new process. A
:class:`OwnListeners` pickles as the recipe for a socket, not a socket, so each worker (and
each replacement of a dead one) binds its own when it unpickles it.

A port group is open to any process of the same user, so the supervisor holds the port's
:func:`reserve_port` for its lifetime (a second server is refused, however close its start),
and each worker ends with its supervisor (``PR_SET_PDEATHSIG``): killed, even with SIGKILL, it
leaves no worker behind still holding the port.
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

GRACEFUL_SECONDS = 10  # open requests may finish within this after SIGINT/SIGTERM, then end
HEALTHCHECK_SECONDS = 30  # a worker busy starting on a loaded machine is not taken for dead
_PR_SET_PDEATHSIG = 1  # from linux/prctl.h


def bind_listener(host: str, port: int, backlog: int, *, shared: bool = True) -> socket.socket:
    """A TCP socket listening on ``host``:``port``, in the port's ``SO_REUSEPORT`` group if
    ``shared``.

    Raises OSError if the address cannot be bound (in use by a socket outside the group, or not
    an address of this machine; socket.gaierror, a subclass, if ``host`` does not resolve)."""
    family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    listener = socket.socket(family, kind, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if shared:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind(address)
        listener.listen(backlog)
    except OSError:
        listener.close()
        raise
    listener.set_inheritable(True)
    return listener


def reserve_port(port: int) -> socket.socket:
    """The right to serve ``port`` with workers on this machine, held while the returned socket
    is open (and released by the kernel when the process ends, however it ends): a name in the
    abstract Unix socket namespace, which only one process can bind. Raises OSError (EADDRINUSE)
    while another server holds it."""
    guard = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        guard.bind(f"\0obligations-serve-port-{port}")
    except OSError:
        guard.close()
        raise
    return guard


def check_address(host: str, port: int) -> None:
    """Bind the address once, outside any ``SO_REUSEPORT`` group, and let it go: so that a port
    in use is reported here, before any worker starts, and so that a second server started on
    the same port (whose workers would otherwise join the first one's group and take half its
    connections) is refused. Raises OSError as :func:`bind_listener` does."""
    bind_listener(host, port, 1, shared=False).close()


def _worker_listeners(host: str, port: int, backlog: int, parent: int) -> list[socket.socket]:
    """In a new worker: end with the supervisor ``parent``, then bind. A port taken meanwhile
    by another program ends the worker with uvicorn's startup failure, which stops the
    supervisor too (rather than a new worker every half second failing the same way)."""
    _end_with_parent(parent)
    try:
        return [bind_listener(host, port, backlog)]
    except OSError as error:
        print(f"错误：无法在 {host}:{port} 上监听：{address_problem(error)}", file=sys.stderr)
        raise SystemExit(STARTUP_FAILURE) from None


def _end_with_parent(parent: int) -> None:
    """Ask Linux to send this process SIGTERM when ``parent`` ends (uvicorn then shuts the
    worker down as for any SIGTERM); if it has already ended, end now. Nothing when this is
    ``parent`` itself (the list unpickled where it was made)."""
    if sys.platform != "linux" or os.getpid() == parent:
        return
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        raise SystemExit(0)


class OwnListeners(list[socket.socket]):
    """An empty list in the supervisor; in each worker, once unpickled, a list of one socket
    that worker bound itself (:func:`bind_listener`)."""

    def __init__(self, host: str, port: int, backlog: int) -> None:
        super().__init__()
        self.address = (host, port, backlog, os.getpid())

    def __reduce__(self) -> tuple[Any, ...]:
        return (_worker_listeners, self.address)


def run_workers(app: str, *, workers: int, host: str, port: int) -> None:
    """Serve the app factory named ``app`` (``module:function``) from ``workers`` processes
    under uvicorn's supervisor until SIGINT or SIGTERM (then each open request has
    :data:`GRACEFUL_SECONDS` to finish). The caller holds :func:`reserve_port` and has run
    :func:`check_address`."""
    # proxy_headers off, as in obligations.cli.serve's single process.
    config = uvicorn.Config(
        app,
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        timeout_worker_healthcheck=HEALTHCHECK_SECONDS,
    )
    Multiprocess(config, sockets=OwnListeners(host, port, config.backlog)).run()


def address_problem(error: OSError) -> str:
    """Why ``host``:``port`` cannot be served, and what to do instead, in Chinese."""
    if isinstance(error, socket.gaierror):
        return "无法解析该主机名；请用本机的地址（如 127.0.0.1 或 0.0.0.0）作为 --host"
    if error.errno == errno.EADDRINUSE:
        return "端口已被占用；请换一个端口（--port），或先停止占用该端口的程序"
    if error.errno in (errno.EACCES, errno.EPERM):
        return (
            "1024 以下的端口只有管理员（root）才能监听；请用 1024 以上的端口（如 8000），"
            "由 nginx 在 80/443 端口转发"
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return "该地址不属于本机；请用本机的地址（如 127.0.0.1 或 0.0.0.0）作为 --host"
    return f"该地址无法监听（错误号 {error.errno}）；请用本机的地址（如 127.0.0.1 或 0.0.0.0）"
