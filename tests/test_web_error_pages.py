"""Error pages inside the site: the signed-in user's menu, a Chinese message, a link back to
where the user was; a refused form comes back with what was typed."""

from __future__ import annotations

import pytest
from tests.web_support import TestClient, WebWorld, web, world_template

from obligations.evidence import records
from obligations.ledger.notes import MAX_TEXT

__all__ = ["web", "world_template"]

MENU = 'aria-label="主菜单"'


def back_link(html: str) -> str:
    return html.split('id="error-back"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]


def test_a_missing_page_keeps_the_menu_and_goes_back_to_the_page_the_user_came_from(
    web: WebWorld,
) -> None:
    client, _ = web.login("u01_manager")
    response = client.get("/tasks/99999", headers={"referer": "http://testserver/my?page=2"})
    assert response.status_code == 404
    assert MENU in response.text and "我的任务" in response.text
    assert back_link(response.text) == "/my?page=2"


def test_a_referer_from_another_site_is_not_followed_back(web: WebWorld) -> None:
    client, _ = web.login("admin")
    response = client.get(
        "/units/U01/ledger/1999.pdf", headers={"referer": "https://evil.example/units/U01"}
    )
    assert response.status_code == 404
    assert back_link(response.text) == "/units/U01/ledger"  # the page above


def test_a_forged_form_is_refused_inside_the_site_with_a_chinese_message(web: WebWorld) -> None:
    client, _ = web.login("admin")
    task = web.ids["task_b1"]
    response = client.post(
        f"/tasks/{task}/waive",
        data={"csrf_token": "forged", "reason": "x"},
        headers={"referer": f"http://testserver/tasks/{task}"},
    )
    assert response.status_code == 403 and MENU in response.text
    assert back_link(response.text) == f"/tasks/{task}"
    assert "Forbidden" not in response.text


def test_a_wrong_method_says_so_in_chinese(web: WebWorld) -> None:
    client, _ = web.login("admin")
    response = client.get(f"/tasks/{web.ids['task_b1']}/waive")
    assert response.status_code == 405 and MENU in response.text
    assert "不支持这种操作" in response.text and "Method Not Allowed" not in response.text


def test_an_unknown_api_address_answers_chinese_json(web: WebWorld) -> None:
    response = web.api("admin").get("/api/nothing-here")
    assert response.status_code == 404 and "页面不存在" in response.json()["detail"]


def test_an_unexpected_failure_is_shown_inside_the_site_without_its_detail(
    web: WebWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> object:
        raise RuntimeError("unexpected failure in a service")

    monkeypatch.setattr(records, "list_records", fail)
    signed_in, _ = web.login("u01_manager")
    client = TestClient(web.client.app, follow_redirects=False, raise_server_exceptions=False)
    client.cookies = signed_in.cookies
    response = client.get(f"/tasks/{web.ids['task_b1']}")
    assert response.status_code == 500 and MENU in response.text
    assert "服务器内部错误" in response.text
    assert "RuntimeError" not in response.text and "unexpected failure" not in response.text


def test_a_refused_waiver_shows_the_task_again_with_the_reason_kept(web: WebWorld) -> None:
    client, csrf = web.login("admin")
    task = web.ids["task_b1"]
    reason = "本期不适用\u200b"  # a zero-width space: refused
    response = client.post(f"/tasks/{task}/waive", data={"csrf_token": csrf, "reason": reason})
    assert response.status_code == 400 and 'id="task-error"' in response.text
    assert "U+200B" in response.text
    assert f'aria-label="豁免原因" value="{reason}"' in response.text


def test_a_refused_withdrawal_keeps_its_reason_on_the_task_page(web: WebWorld) -> None:
    client, csrf = web.login("admin")
    reason = "重复上传\u0007"
    response = client.post(
        f"/evidence/{web.ids['rec_b1']}/withdraw", data={"csrf_token": csrf, "reason": reason}
    )
    assert response.status_code == 400 and "U+0007" in response.text
    assert f'aria-label="撤回原因" value="{reason}"' in response.text
    assert f'action="/tasks/{web.ids["task_b1_open"]}/evidence"' in response.text


def test_a_refused_note_shows_the_ledger_page_again_with_both_texts_kept(web: WebWorld) -> None:
    client, csrf = web.login("admin")
    narrative = "落实" * MAX_TEXT  # too long
    response = client.post(
        "/units/U01/ledger/2026/items/2.3/notes",
        data={"csrf_token": csrf, "narrative": narrative, "measures": "下一步措施"},
    )
    assert response.status_code == 400 and 'id="notes-error"' in response.text
    item = response.text.split('id="item-2.3"', 1)[1].split("</details>", 1)[0]
    assert " open>" in item.split("\n", 1)[0]
    assert narrative in item and "下一步措施" in item
