"""Every answer carries the security headers: pages, downloads, the API, and error answers
(404, 400, 403, 401 and a 500 from an unexpected exception); per-user answers are not stored."""

from __future__ import annotations

import base64
import hashlib
import logging
import re

import pytest
from tests.web_support import TestClient, WebWorld, web, world_template

from obligations.evidence import records
from obligations.web.headers import CSP

__all__ = ["web", "world_template"]

SECURITY = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "same-origin",
}


def assert_secured(response: object, *, store: bool = False, csp: str = CSP) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    expected = SECURITY | {"content-security-policy": csp}
    got = {name: headers.get(name) for name in expected}
    assert got == expected, response.request.url  # type: ignore[attr-defined]
    if not store:
        assert headers.get("cache-control") == "no-store", response.request.url  # type: ignore[attr-defined]


def admin_pages(web: WebWorld) -> list[str]:
    return [
        "/",
        "/my",
        "/account",
        "/admin",
        "/admin/rules",
        "/admin/calendar",
        "/admin/audit",
        "/admin/channels",
        "/admin/import",
        "/admin/import/template.xlsx",
        "/units/U01",
        f"/tasks/{web.ids['task_b1']}",
        f"/evidence/{web.ids['rec_b1']}/files/1",
        "/units/U01/ledger",
        "/units/U01/ledger/2026.xlsx",
    ]


def test_every_page_and_download_of_a_signed_in_user_is_secured_and_not_stored(
    web: WebWorld,
) -> None:
    client, _ = web.login("admin")
    for path in admin_pages(web):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        assert_secured(response)


def test_the_login_page_and_the_api_are_secured_and_not_stored(web: WebWorld) -> None:
    assert_secured(web.client.get("/login"))
    api = web.api("admin")
    for path in ["/api/tasks", f"/api/tasks/{web.ids['task_b1']}", "/api/openapi.json"]:
        response = api.get(path)
        assert response.status_code == 200, path
        assert_secured(response)


def test_static_files_are_secured_and_may_be_cached(web: WebWorld) -> None:
    response = web.client.get("/static/app.css")
    assert response.status_code == 200
    assert_secured(response, store=True)
    assert "no-store" not in response.headers.get("cache-control", "")


def test_error_answers_carry_the_security_headers(web: WebWorld) -> None:
    client, _ = web.login("admin")
    answers = {
        "/no-such-page": (client.get("/no-such-page"), 404),
        "/api/no-such": (web.api("admin").get("/api/no-such"), 404),
        "/tasks/not-a-number": (client.get("/tasks/not-a-number"), 404),  # names no page
        "/tasks/999999": (client.get("/tasks/999999"), 404),
        "/logout forged": (client.post("/logout", data={"csrf_token": "forged"}), 403),
        "/api/tasks no token": (web.client.get("/api/tasks"), 401),
    }
    for name, (response, status) in answers.items():
        assert response.status_code == status, name
        assert_secured(response)


@pytest.fixture
def broken_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """Listing a task's evidence fails unexpectedly (a bug, a lost database connection)."""

    def fail(*args: object, **kwargs: object) -> object:
        raise RuntimeError("unexpected failure in a service")

    monkeypatch.setattr(records, "list_records", fail)


@pytest.mark.usefixtures("broken_service")
def test_an_unexpected_exception_answers_500_with_the_headers_and_is_logged(
    web: WebWorld, caplog: pytest.LogCaptureFixture
) -> None:
    signed_in, _ = web.login("admin")
    client = TestClient(web.client.app, follow_redirects=False, raise_server_exceptions=False)
    client.cookies = signed_in.cookies
    api = TestClient(web.client.app, raise_server_exceptions=False)
    api.headers.update(web.api("admin").headers)
    with caplog.at_level(logging.ERROR, logger="obligations.web.headers"):
        page = client.get(f"/tasks/{web.ids['task_b1']}")
        answer = api.get(f"/api/tasks/{web.ids['task_b1']}/evidence")
    assert page.status_code == 500 and "服务器内部错误" in page.text
    assert "unexpected failure" not in page.text  # no internals shown
    assert answer.status_code == 500 and "服务器内部错误" in answer.json()["detail"]
    assert_secured(page)
    assert_secured(answer)
    assert [r.exc_info[1].args for r in caplog.records if r.exc_info] == [
        ("unexpected failure in a service",)
    ] * 2


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_ledger_page_allows_exactly_its_own_inline_stylesheet(web: WebWorld) -> None:
    client, _ = web.login("admin")
    response = client.get("/units/U01/ledger/2026.html")
    assert response.status_code == 200
    (style,) = re.findall(r"<style>(.*?)</style>", response.text, flags=re.DOTALL)
    policy = CSP.replace("style-src 'self'", f"style-src 'self' {sha256_source(style)}")
    assert_secured(response, csp=policy)
    assert "<script" not in response.text and " style=" not in response.text


def test_the_api_documentation_allows_exactly_its_own_inline_script(web: WebWorld) -> None:
    response = web.client.get("/api/docs")
    assert response.status_code == 200 and "swagger-ui" in response.text
    (script,) = re.findall(r"<script>(.*?)</script>", response.text, flags=re.DOTALL)
    policy = response.headers["content-security-policy"]
    assert f"script-src 'self' https://cdn.jsdelivr.net {sha256_source(script)};" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert response.headers["x-content-type-options"] == "nosniff"
