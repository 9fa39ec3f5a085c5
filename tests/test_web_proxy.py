"""Forwarded headers are believed only from the proxies the settings name.

Otherwise a client rotating ``X-Forwarded-For`` would start a fresh per-address login count at
every attempt. The addresses below are documentation ranges, written into requests only.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select
from tests.test_serve import OBLIGATIONS, free_port
from tests.web_support import (
    FAST_HASHER,
    NOW,
    PASSWORD,
    TestClient,
    copy_world,
    world_template,
)

from obligations.accounts import users as accounts
from obligations.accounts.throttle import ThrottlePolicy
from obligations.db import make_engine, session_factory
from obligations.models import LoginThrottle
from obligations.settings import Settings
from obligations.web import create_app

__all__ = ["world_template"]

PEER = "127.0.0.1"  # the connection's own address: loopback, as with no proxy in front
ADDRESS_FREE = 3  # failures from one address before it is slowed down


def client_for(
    template: tuple[Path, dict[str, int]], data_dir: Path, trusted_proxies: str
) -> Iterator[tuple[TestClient, Path]]:
    copy_world(template, data_dir)
    settings = Settings(data_dir=data_dir, trusted_proxies=trusted_proxies)
    engine = make_engine(settings.effective_database_url)
    policy = ThrottlePolicy(account_free=100, address_free=ADDRESS_FREE)
    app = create_app(settings, clock=lambda: NOW, engine=engine, throttle=policy)
    with TestClient(app, follow_redirects=False, client=(PEER, 50000)) as client:
        yield client, data_dir
    engine.dispose()


@pytest.fixture
def direct(
    world_template: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, Path]]:
    """No proxy named: the app is reached directly."""
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    yield from client_for(world_template, tmp_path / "data", "")


@pytest.fixture
def proxied(
    world_template: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, Path]]:
    """Behind nginx on the same machine, named as the trusted proxy."""
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    yield from client_for(world_template, tmp_path / "data", f"{PEER}, 192.0.2.0/24")


def attempt(client: TestClient, username: str, password: str, forwarded: str) -> int:
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    fields = {"username": username, "password": password, "csrf_token": match.group(1)}
    response = client.post("/login", data=fields, headers={"X-Forwarded-For": forwarded})
    return response.status_code


def address_keys(data_dir: Path) -> list[str]:
    engine = make_engine(Settings(data_dir=data_dir).effective_database_url)
    try:
        with session_factory(engine)() as db:
            query = select(LoginThrottle.key).where(LoginThrottle.key.startswith("ip:"))
            return sorted(db.scalars(query))
    finally:
        engine.dispose()


def test_rotating_x_forwarded_for_from_an_untrusted_peer_does_not_reset_the_throttle(
    direct: tuple[TestClient, Path],
) -> None:
    client, data_dir = direct
    for n in range(ADDRESS_FREE + 1):
        assert attempt(client, f"guess{n}", "wrong", forwarded=f"203.0.113.{n}") == 401
    assert attempt(client, "admin", PASSWORD, forwarded="203.0.113.200") == 429
    assert address_keys(data_dir) == [f"ip:{PEER}"]


def test_behind_a_named_proxy_the_forwarded_address_is_the_clients(
    proxied: tuple[TestClient, Path],
) -> None:
    client, data_dir = proxied
    for n in range(ADDRESS_FREE + 1):
        assert attempt(client, f"guess{n}", "wrong", forwarded="203.0.113.7") == 401
    assert attempt(client, "admin", PASSWORD, forwarded="203.0.113.7") == 429
    # Another client behind the same proxy is not slowed down by the first one's failures.
    assert attempt(client, "admin", PASSWORD, forwarded="203.0.113.8") == 303
    assert address_keys(data_dir) == ["ip:203.0.113.7"]


def test_a_chain_of_proxies_is_believed_up_to_the_first_untrusted_hop(
    proxied: tuple[TestClient, Path],
) -> None:
    """A client cannot forge its address by prefixing X-Forwarded-For: the right-most hop not
    among the trusted proxies is the client."""
    client, data_dir = proxied
    assert attempt(client, "guess", "wrong", forwarded="198.51.100.1, 203.0.113.9") == 401
    assert attempt(client, "guess", "wrong", forwarded="203.0.113.9, 192.0.2.5") == 401
    assert address_keys(data_dir) == ["ip:203.0.113.9"]


@pytest.mark.parametrize("entry", ["*", "nginx", "127.0.0.1/99", "10.0.0.1;rm"])
def test_a_trusted_proxy_must_be_an_address_or_a_network(entry: str) -> None:
    with pytest.raises(ValidationError, match="受信任的代理"):
        Settings(trusted_proxies=entry)


def test_trusted_proxies_are_read_comma_separated_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OBLIGATIONS_TRUSTED_PROXIES", " 127.0.0.1 , 10.1.0.0/16 ")
    assert Settings().trusted_proxy_list == ["127.0.0.1", "10.1.0.0/16"]
    monkeypatch.delenv("OBLIGATIONS_TRUSTED_PROXIES")
    assert Settings().trusted_proxy_list == []


# -- the real server, as `obligations serve` starts it ------------------------------------


@contextmanager
def served(data: Path, **env: str) -> Iterator[str]:
    """``obligations serve`` on a free loopback port; its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [OBLIGATIONS, "--data-dir", data, "serve", "--no-scheduler", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.2)
        yield base
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=60)


def rotating_failures(base: str, count: int) -> list[int]:
    """``count + 1`` failed logins, each claiming another address; their status codes."""
    codes = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for n in range(count + 1):
            page = client.get("/login")
            match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert match
            fields = {"username": f"guess{n}", "password": "wrong", "csrf_token": match.group(1)}
            forwarded = {"X-Forwarded-For": f"203.0.113.{n}"}
            codes.append(client.post("/login", data=fields, headers=forwarded).status_code)
    return codes


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("serve") / "data"
    subprocess.run([OBLIGATIONS, "--data-dir", data, "init", "--demo"], check=True,
                   capture_output=True)  # fmt: skip
    return data


def test_serve_on_loopback_does_not_believe_x_forwarded_for(demo_data: Path) -> None:
    free = ThrottlePolicy().address_free
    with served(demo_data) as base:
        codes = rotating_failures(base, free + 1)
    assert codes[: free + 1] == [401] * (free + 1)
    # One address, whatever it claimed: the loopback's count passed the free attempts and
    # blocked it. (Whether the last attempt still met the block depends on the machine's speed:
    # the first block lasts a second or two.)
    counts = throttle_counts(demo_data)
    assert not [key for key in counts if key.startswith("ip:203.0.113.")]
    failures, blocked = counts["ip:127.0.0.1"]
    assert failures > free and blocked


def test_serve_believes_x_forwarded_for_from_the_proxy_the_settings_name(
    demo_data: Path,
) -> None:
    free = ThrottlePolicy().address_free
    with served(demo_data, OBLIGATIONS_TRUSTED_PROXIES="127.0.0.1") as base:
        codes = rotating_failures(base, free + 1)
    assert codes == [401] * (free + 2)  # each forwarded address has a count of its own
    counts = throttle_counts(demo_data)
    assert all(counts[f"ip:203.0.113.{n}"] == (1, False) for n in range(free + 2))


def throttle_counts(data: Path) -> dict[str, tuple[int, bool]]:
    """Key -> (failures, blocked at some time) of the login throttle stored in ``data``."""
    engine = make_engine(Settings(data_dir=data).effective_database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(LoginThrottle.key, LoginThrottle.failures, LoginThrottle.blocked_until)
            )
            return {key: (failures, until is not None) for key, failures, until in rows}
    finally:
        engine.dispose()
