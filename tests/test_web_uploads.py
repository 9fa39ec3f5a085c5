"""Uploads from the task page and the API: streamed, limited, refused with reasons; downloads
with the original Chinese name; the task turns done."""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy import func, select
from tests.storage_samples import EXE, PDF
from tests.web_support import WebWorld, web, world_template

from obligations.evidence.storage import LocalBlobStore
from obligations.models import EvidenceRecord

__all__ = ["web", "world_template"]

FIELDS = {
    "title": "十月支部党员大会",
    "held_on": "2026-10-20",
    "kind": "minutes",
    "participants": "12",
    "hours": "1.5",
}
NO_FILE = [("files", ("", b"", "application/octet-stream"))]


def post(web: WebWorld, task: str, files, **extra):  # type: ignore[no-untyped-def]
    client, csrf = web.login("b1_secretary")
    fields = {"csrf_token": csrf} | FIELDS | extra
    return client, client.post(f"/tasks/{web.ids[task]}/evidence", data=fields, files=files)


def record_count(web: WebWorld) -> int:
    with web.sessions() as db:
        return db.scalar(select(func.count()).select_from(EvidenceRecord)) or 0


def blob_count(web: WebWorld) -> int:
    return sum(1 for _ in LocalBlobStore(web.settings.evidence_dir).iter_blobs())


def test_several_files_at_once_close_an_overdue_task_late(web: WebWorld) -> None:
    files = [
        ("files", ("会议记录.pdf", PDF, "application/pdf")),
        ("files", ("签到表.pdf", PDF + b"2", "application/pdf")),
    ]
    client, response = post(web, "task_b1", files)
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert "逾期完成" in page.text and "会议记录.pdf" in page.text and "签到表.pdf" in page.text


def test_a_download_sends_the_original_chinese_name(web: WebWorld) -> None:
    client, _ = web.login("b1_secretary")
    response = client.get(f"/evidence/{web.ids['rec_b1']}/files/1")
    assert response.status_code == 200 and response.content == PDF
    disposition = response.headers["content-disposition"]
    assert f"filename*=UTF-8''{quote('支部党员大会记录.pdf')}" in disposition
    assert disposition.startswith('attachment; filename="') and "支" not in disposition


def test_a_file_over_the_size_limit_is_refused_with_413_and_nothing_is_kept(
    web: WebWorld,
) -> None:
    before = (record_count(web), blob_count(web))
    big = PDF + b"0" * (1024 * 1024 + 10)  # the test app allows 1 MB
    _, response = post(web, "task_b1", [("files", ("大文件.pdf", big, "application/pdf"))])
    assert response.status_code == 413 and "MB" in response.text
    assert (record_count(web), blob_count(web)) == before


def test_a_file_of_a_refused_type_is_refused_with_the_allowed_list(web: WebWorld) -> None:
    before = (record_count(web), blob_count(web))
    _, response = post(web, "task_b1", [("files", ("记录.pdf", EXE, "application/pdf"))])
    assert response.status_code == 415 and "pdf" in response.text
    assert (record_count(web), blob_count(web)) == before


def test_a_bad_file_name_is_refused(web: WebWorld) -> None:
    for name in ("../../etc/passwd.pdf", "记录\u202efdp.exe", "x" * 300 + ".pdf"):
        _, response = post(web, "task_b1", [("files", (name, PDF, "application/pdf"))])
        assert response.status_code == 400, name
        assert "文件名" in response.text


def test_a_second_good_file_after_a_refused_one_leaves_nothing_behind(web: WebWorld) -> None:
    before = (record_count(web), blob_count(web))
    files = [
        ("files", ("好文件.pdf", PDF + b"unique", "application/pdf")),
        ("files", ("坏文件.pdf", EXE, "application/pdf")),
    ]
    _, response = post(web, "task_b1", files)
    assert response.status_code == 415
    assert (record_count(web), blob_count(web)) == before


def test_an_activity_outside_the_period_is_refused_and_its_stored_files_removed(
    web: WebWorld,
) -> None:
    before = (record_count(web), blob_count(web))
    files = [("files", ("记录.pdf", PDF + b"outside", "application/pdf"))]
    _, response = post(web, "task_b1", files, held_on="2025-01-01")
    assert response.status_code == 400
    assert (record_count(web), blob_count(web)) == before


def test_malformed_fields_are_refused_with_a_reason(web: WebWorld) -> None:
    files = [("files", ("记录.pdf", PDF, "application/pdf"))]
    for extra, words in (
        ({"held_on": "昨天"}, "日期"),
        ({"participants": "很多"}, "人数"),
        ({"kind": "video"}, "类型"),
    ):
        _, response = post(web, "task_b1", files, **extra)
        assert response.status_code == 400 and words in response.text


def test_the_api_uploads_and_lists_evidence(web: WebWorld) -> None:
    api = web.api("b1_secretary")
    task = web.ids["task_b1"]
    response = api.post(
        f"/api/tasks/{task}/evidence",
        data=FIELDS,
        files=[("files", ("会议记录.pdf", PDF, "application/pdf"))],
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["files"][0]["name"] == "会议记录.pdf"
    assert api.get(f"/api/tasks/{task}").json()["status"] == "done_late"
    listed = api.get(f"/api/tasks/{task}/evidence").json()
    assert [r["id"] for r in listed] == [body["id"]]
    assert api.post(f"/api/tasks/{task}/evidence", content=b"x").status_code == 400


def test_the_upload_form_without_a_file_is_refused_with_400_keeping_what_was_typed(
    web: WebWorld,
) -> None:
    before = record_count(web)
    # What a browser sends for a file input left empty: a part with no name and no bytes.
    _, response = post(web, "task_b1", NO_FILE, notes="会后补传记录")
    assert response.status_code == 400
    assert "该任务须附佐证材料文件" in response.text and "允许的文件类型：pdf" in response.text
    page = response.text
    assert "<main" in page and "</html>" in page  # the task page, inside the layout
    assert "<legend>文件（必附）</legend>" in page  # the form said so beforehand
    for value in (*FIELDS.values(), "会后补传记录"):
        assert value in page, value
    assert record_count(web) == before


def test_the_api_refuses_a_record_without_a_file_with_400_in_chinese(web: WebWorld) -> None:
    api = web.api("b1_secretary")
    task = web.ids["task_b1"]
    before = api.get(f"/api/tasks/{task}").json()["status"]
    response = api.post(f"/api/tasks/{task}/evidence", data=FIELDS, files=NO_FILE)
    assert response.status_code == 400
    assert "该任务须附佐证材料文件" in response.json()["detail"]
    assert api.get(f"/api/tasks/{task}").json()["status"] == before != "done"
    assert api.get(f"/api/tasks/{task}/evidence").json() == []


def test_the_review_form_rejects_with_a_reason_and_reopens_the_task(web: WebWorld) -> None:
    client, csrf = web.login("admin")
    record, task = web.ids["rec_b1"], web.ids["task_b1_open"]
    missing = client.post(
        f"/evidence/{record}/review", data={"csrf_token": csrf, "decision": "reject"}
    )
    assert missing.status_code == 400 and "退回原因" in missing.text
    response = client.post(
        f"/evidence/{record}/review",
        data={"csrf_token": csrf, "decision": "reject", "reason": "缺少签到表"},
    )
    assert response.status_code == 303
    page = client.get(f"/tasks/{task}").text
    assert "已退回" in page and "缺少签到表" in page
    assert re.search(r'id="task-status">(进行中|即将到期)<', page)
