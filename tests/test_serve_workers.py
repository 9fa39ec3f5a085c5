"""The listening sockets of `serve --workers` (obligations.cli.serve_workers)."""

from __future__ import annotations

import asyncio
import pickle
import socket

from obligations.cli.serve_workers import OwnListeners, bind_listener


def test_a_connection_accepted_on_a_worker_socket_has_nagles_algorithm_off() -> None:
    # asyncio sets TCP_NODELAY only on sockets whose protocol is IPPROTO_TCP; without it every
    # answer written in two parts waits ~40 ms for the client's delayed acknowledgement.
    async def accept_one() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Note(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        listener = bind_listener("127.0.0.1", 0, 8)
        server = await asyncio.get_running_loop().create_server(Note, sock=listener)
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(accepted, 10)
        finally:
            writer.close()
            server.close()

    assert asyncio.run(accept_one()) == 1


def test_worker_sockets_share_a_port_and_each_unpickles_as_a_socket_of_its_own() -> None:
    first = bind_listener("127.0.0.1", 0, 8)
    port = first.getsockname()[1]
    recipe = OwnListeners("127.0.0.1", port, 8)
    assert list(recipe) == []  # the supervisor itself holds no socket in the group
    second, third = pickle.loads(pickle.dumps(recipe)), pickle.loads(pickle.dumps(recipe))
    try:
        assert len(second) == len(third) == 1
        assert second[0].fileno() != third[0].fileno()
        assert second[0].getsockname() == third[0].getsockname() == ("127.0.0.1", port)
    finally:
        for sock in (first, *second, *third):
            sock.close()


def test_a_socket_outside_the_group_cannot_take_a_port_the_workers_hold() -> None:
    held = bind_listener("127.0.0.1", 0, 8)
    try:
        port = held.getsockname()[1]
        try:
            bind_listener("127.0.0.1", port, 8, shared=False).close()
        except OSError as error:
            assert error.errno == 98  # EADDRINUSE
        else:
            raise AssertionError("a second server could bind the workers' port")
    finally:
        held.close()


def test_each_reason_a_port_cannot_be_served_says_what_to_do_instead() -> None:
    import errno

    from obligations.cli.serve_workers import address_problem

    said = {
        "in use": address_problem(OSError(errno.EADDRINUSE, "Address already in use")),
        "privileged": address_problem(PermissionError(errno.EACCES, "Permission denied")),
        "not here": address_problem(OSError(errno.EADDRNOTAVAIL, "Cannot assign")),
        "unknown host": address_problem(socket.gaierror(-2, "Name or service not known")),
        "other": address_problem(OSError(errno.EINVAL, "Invalid argument")),
    }
    assert said["in use"].startswith("端口已被占用；请换一个端口（--port）")
    assert "1024 以下的端口只有管理员（root）才能监听" in said["privileged"]
    assert "nginx" in said["privileged"] and "占用" not in said["privileged"]
    assert said["not here"].startswith("该地址不属于本机；请用本机的地址")
    assert said["unknown host"].startswith("无法解析该主机名")
    assert "错误号 22" in said["other"]
    assert all("Address" not in text and "Errno" not in text for text in said.values())
