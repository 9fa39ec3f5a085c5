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
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess


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


def _bound_in_this_process(host: str, port: int, backlog: int) -> list[socket.socket]:
    return [bind_listener(host, port, backlog)]


class OwnListeners(list[socket.socket]):
    """An empty list in the supervisor; in each worker, once unpickled, a list of one socket
    that worker bound itself (:func:`bind_listener`)."""

    def __init__(self, host: str, port: int, backlog: int) -> None:
        super().__init__()
        self.address = (host, port, backlog)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_bound_in_this_process, self.address)


def check_address(host: str, port: int) -> None:
    """Bind the address once, outside any ``SO_REUSEPORT`` group, and let it go: so that a port
    in use is reported here, before any worker starts, and so that a second server started on
    the same port (whose workers would otherwise join the first one's group and take half its
    connections) is refused. Raises OSError as :func:`bind_listener` does."""
    bind_listener(host, port, 1, shared=False).close()


def run_workers(app: str, *, workers: int, host: str, port: int) -> None:
    """Serve the app factory named ``app`` (``module:function``) from ``workers`` processes
    under uvicorn's supervisor until SIGINT or SIGTERM. Raises OSError if the address cannot
    be bound (see :func:`check_address`)."""
    # proxy_headers off, as in obligations.cli.serve's single process.
    config = uvicorn.Config(
        app,
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=False,
    )
    Multiprocess(config, sockets=OwnListeners(host, port, config.backlog)).run()
