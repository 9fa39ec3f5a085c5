"""The task page and the account page as a phone user needs them: the upload form first, file
inputs that offer only the allowed types and the camera, the size limit known to the page, no
inline script; no API tokens offered to a branch secretary."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import func, select
from tests.web_support import WebWorld, web, world_template

from obligations.evidence.storage import UploadLimits
from obligations.evidence.storage.limits import MIB, FileType
from obligations.models import ApiToken

__all__ = ["web", "world_template"]


def task_page(web: WebWorld, username: str, task: str) -> str:
    client, _ = web.login(username)
    response = client.get(f"/tasks/{web.ids[task]}")
    assert response.status_code == 200
    return response.text


def attributes(page: str, element_id: str) -> dict[str, str]:
    tag = re.search(rf'<input[^>]*\bid="{element_id}"[^>]*>', page)
    assert tag is not None, element_id
    return {k: unescape(v) for k, v in re.findall(r'([\w-]+)="([^"]*)"', tag.group(0))}


def test_the_upload_form_comes_before_the_rule_and_the_standard_on_a_branch_task(
    web: WebWorld,
) -> None:
    page = task_page(web, "b1_secretary", "task_b1_open")
    form = page.index('id="upload-form"')
    assert form < page.index("<h2>规则说明</h2>")
    assert form < page.index("<h2>具体标准</h2>")
    assert form < page.index("<h2>佐证材料</h2>")
    assert form < page.index('<dl class="facts">')


def test_the_file_inputs_offer_the_allowed_types_and_the_camera(web: WebWorld) -> None:
    page = task_page(web, "b1_secretary", "task_b1_open")
    chooser = attributes(page, "upload-files")
    accepted = set(chooser["accept"].split(","))
    assert {".pdf", ".docx", ".jpg", ".jpeg", ".heic", ".heif", ".zip"} <= accepted
    assert {"application/pdf", "image/jpeg", "image/png"} <= accepted
    assert re.search(r'<input[^>]*id="upload-files" multiple', page)
    camera = attributes(page, "upload-camera")
    assert camera["capture"] == "environment"
    assert camera["accept"] == "image/jpeg,image/png,image/heic"
    assert camera["name"] == chooser["name"] == "files"


def test_the_page_knows_the_configured_size_limit_and_loads_its_script_from_the_site(
    web: WebWorld,
) -> None:
    page = task_page(web, "b1_secretary", "task_b1_open")
    form = re.search(r'<form [^>]*id="upload-form"[^>]*>', page)
    assert form is not None
    assert f'data-max-bytes="{web.settings.max_upload_mb * MIB}"' in form.group(0)
    assert 'data-max-size="1 MB"' in form.group(0)
    assert '<script src="/static/upload.js" defer></script>' in page
    assert "<script>" not in page and " on" + "submit=" not in page  # nothing inline (CSP)
    script = web.client.get("/static/upload.js")
    assert script.status_code == 200 and "upload.addEventListener" in script.text


def test_the_activity_date_defaults_to_today_only_inside_the_tasks_period(web: WebWorld) -> None:
    page = task_page(web, "b1_secretary", "task_b1_open")
    assert re.search(r'name="held_on"[^>]*value="2026-11-25"', page)
    past = task_page(web, "b1_secretary", "task_b1")  # October's task, overdue
    assert re.search(r'name="held_on"[^>]*value=""', past)


def test_a_camera_is_not_offered_when_no_photo_type_is_allowed() -> None:
    limits = UploadLimits(allowed=(FileType.PDF, FileType.DOCX))
    assert limits.camera_accept == ""
    assert limits.accept == ".pdf,.docx,application/pdf," + FileType.DOCX.media_type


def test_a_branch_secretarys_account_page_offers_no_api_tokens(web: WebWorld) -> None:
    client, _ = web.login("b1_secretary")
    page = client.get("/account").text
    assert "API 令牌" not in page and "/api/docs" not in page and "api-tokens" not in page
    for username in ("admin", "u01_manager", "viewer_all"):
        other, _ = web.login(username)
        assert "API 令牌" in other.get("/account").text, username


def test_a_branch_secretary_cannot_make_an_api_token_by_posting_the_form(web: WebWorld) -> None:
    client, csrf = web.login("b1_secretary")
    with web.sessions() as db:
        before = db.scalar(select(func.count()).select_from(ApiToken))
    response = client.post("/account/api-tokens", data={"csrf_token": csrf, "name": "x"})
    assert response.status_code == 403
    assert "支部书记账户不能自行创建 API 令牌" in response.text
    with web.sessions() as db:
        assert db.scalar(select(func.count()).select_from(ApiToken)) == before
