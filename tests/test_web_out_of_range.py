"""Numbers and years out of range in any address: every route of the app, as an
administrator, on SQLite and PostgreSQL, answers a 404 (or a 400 for a query parameter) inside
the site's layout, or a JSON error under /api: never a 500, never a traceback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from starlette.routing import BaseRoute
from tests.web_support import FAST_HASHER, NOW, TestClient, WebWorld, build_world

from obligations.accounts import users as accounts
from obligations.db import make_engine, session_factory
from obligations.evidence.storage import LocalBlobStore
from obligations.settings import Settings
from obligations.web import create_app

OUT_OF_RANGE = [0, -1, 2**31, 2**63, 99999, 1999]
# A value for each path parameter that is not a number (the part of the address left alone).
PLAIN = {"code": "U01", "item_id": "1.1", "fmt": "docx", "name": "mail", "token": "x" * 20}
# Internals that must never reach a user.
LEAKS = re.compile(
    r"Traceback|Error\b|Exception|sqlalchemy|psycopg|OverflowError|NumericValueOutOfRange"
    r"|Internal Server Error|Not Found|Method Not Allowed"
)


@pytest.fixture
def any_web(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WebWorld]:
    """The web test college on the database of ``backend``, committed for real."""
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    data = tmp_path / "data"
    engine: Engine = make_engine(database_url)
    with session_factory(engine).begin() as session:
        ids = build_world(session, LocalBlobStore(data / "evidence")).ids
    settings = Settings(data_dir=data, database_url=database_url)
    clock = [NOW]
    app = create_app(settings, clock=lambda: clock[0], engine=engine)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        yield WebWorld(client, session_factory(engine), ids, settings, clock)
    engine.dispose()


def every_route(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    """The app's routes, those of included routers too (FastAPI keeps them nested)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router
            yield from every_route(route.original_router.routes)


def numeric(route: APIRoute, where: str) -> list[str]:
    names: list[str] = []
    pending = [route.dependant]
    while pending:  # the route's parameters and those of its dependencies
        dependant = pending.pop()
        params = dependant.path_params if where == "path" else dependant.query_params
        names += [p.name for p in params if p.field_info.annotation in (int, int | None)]
        pending += dependant.dependencies
    return names


def out_of_range(name: str, value: int) -> bool:
    return not (2000 <= value <= 2100 if name == "year" else 1 <= value < 2**31)


def addresses(app: FastAPI) -> Iterator[tuple[str, str, str, bool]]:
    """(method, address, what was changed, whether it is out of range) for each route and
    each value: a numeric path parameter at a time, then each numeric query parameter."""
    for route in every_route(app.routes):
        path_numbers = numeric(route, "path")
        plain = {name: PLAIN.get(name, "1") for name in route.param_convertors}
        for method in sorted(route.methods):
            for name in path_numbers:
                for value in OUT_OF_RANGE:
                    filled = {**plain, **dict.fromkeys(path_numbers, "1"), name: str(value)}
                    address = route.path.format(**filled)
                    yield method, address, f"{name}={value}", out_of_range(name, value)
            for name in numeric(route, "query"):
                for value in OUT_OF_RANGE:
                    filled = {**plain, **dict.fromkeys(path_numbers, "2026")}
                    address = route.path.format(**filled) + f"?{name}={value}"
                    yield method, address, f"?{name}={value}", False


def test_every_route_refuses_numbers_and_years_out_of_range_without_a_500(
    any_web: WebWorld,
) -> None:
    page_client, csrf = any_web.login("admin")
    client = TestClient(page_client.app, follow_redirects=False, raise_server_exceptions=False)
    client.cookies = page_client.cookies  # signed in for the pages,
    client.headers.update(any_web.api("admin").headers)  # with a token for the API
    problems: list[str] = []
    tried = 0
    for method, address, what, outside in addresses(any_web.client.app):  # type: ignore[arg-type]
        api = address.startswith("/api/")
        options: dict[str, Any] = {}
        if method == "POST":
            body = {"reason": "测试", "accept": True}
            options = {"json": body} if api else {"data": {"csrf_token": csrf, **body}}
        response = client.request(method, address, **options)
        tried += 1
        status, text = response.status_code, response.text
        said = f"{method} {address} ({what}): {status} {text[:150]}"
        if status >= 500 or LEAKS.search(text):
            problems.append(said)
        elif outside and status != 404:
            problems.append(said)  # an address naming nothing that can exist
        elif api and status >= 400 and "detail" not in response.json():
            problems.append(said)
        elif not api and status >= 400 and 'aria-label="主菜单"' not in text:
            problems.append(f"{said}: no menu")
    assert problems == [], "\n".join(problems)
    assert tried > 150  # every route with a number in its address or query


def test_a_ledger_of_1999_is_a_page_not_found_inside_the_site(any_web: WebWorld) -> None:
    client, _ = any_web.login("admin")
    for fmt in ("docx", "pdf", "xlsx", "html"):
        response = client.get(
            f"/units/U01/ledger/1999.{fmt}", headers={"referer": "http://testserver/units/U01"}
        )
        assert response.status_code == 404, fmt
        assert "年份 1999 不在可用范围内（2000 到 2100）" in response.text
        assert 'aria-label="主菜单"' in response.text
        assert '<a href="/units/U01" id="error-back">' in response.text


def test_an_api_id_past_the_database_integer_is_a_json_404(any_web: WebWorld) -> None:
    api = any_web.api("admin")
    for value in (2**31, 2**63, 0, -1):
        response = api.get(f"/api/tasks/{value}")
        assert response.status_code == 404 and "页面不存在" in response.json()["detail"]


def test_a_year_out_of_range_in_the_query_names_the_field_and_the_range(
    any_web: WebWorld,
) -> None:
    client, _ = any_web.login("admin")
    response = client.get("/?year=99999")
    assert response.status_code == 400
    assert "年度应在 2000 到 2100 之间（收到 99999）" in response.text
    assert 'aria-label="主菜单"' in response.text
