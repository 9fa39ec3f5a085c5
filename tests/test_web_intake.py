"""Bulk intake on the web: a ZIP uploaded on the unit page, proposals corrected and accepted,
the tasks done; hostile archives and read-only users refused with nothing stored."""

from __future__ import annotations

import io
import re
import time
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.intake_files import docx_bytes, pdf_bytes
from sqlalchemy import func, select
from tests.web_support import WebWorld, web, world_template

from obligations.models import EvidenceRecord, Task
from obligations.scratch import scratch_dir

__all__ = ["web", "world_template"]


def year_zip(extra: list[tuple[str, bytes]] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "2026-10-15 中心组学习.docx", docx_bytes(["中心组理论学习记录", "实到 9 人"])
        )
        archive.writestr("9月/2026.9.10 中心组学习.pdf", pdf_bytes(["中心组理论学习记录"]))
        archive.writestr("2026.10.20 主题党日.docx", docx_bytes(["主题党日活动记录"]))
        for name, data in extra or []:
            archive.writestr(name, data)
    return out.getvalue()


def task_id(web: WebWorld, rule: str, org_code: str, period: str) -> int:
    from obligations.models import Organization

    with web.sessions() as db:
        org = db.scalars(select(Organization).where(Organization.code == org_code)).one()
        return db.scalars(
            select(Task.id).where(
                Task.rule_id == rule, Task.organization_id == org.id, Task.period_key == period
            )
        ).one()


def done(web: WebWorld, task: int) -> bool:
    with web.sessions() as db:
        return db.scalar(select(Task.done_on).where(Task.id == task)) is not None


def records(web: WebWorld) -> int:
    with web.sessions() as db:
        return db.scalar(select(func.count()).select_from(EvidenceRecord)) or 0


def shown_value(html: str, field: str) -> str:
    found = re.search(rf'name="{field}"[^>]*value="([^"]*)"', html)
    assert found is not None, field
    return found[1]


def proposals_page(client: Any, location: str) -> Any:
    """The proposals once the background reading is done (polled as the waiting page does)."""
    for _ in range(600):
        state = client.get(f"{location}/status").json()
        if state["ready"] or state["error"]:
            return client.get(location)
        time.sleep(0.1)
    raise AssertionError("the files were not read within a minute")


def upload(client: object, csrf: str, data: bytes, name: str = "2026.zip") -> object:
    return client.post(  # type: ignore[attr-defined]
        "/units/U01/intake",
        data={"csrf_token": csrf, "year": "2026"},
        files={"archive": (name, data, "application/zip")},
    )


def test_a_zip_gives_proposals_and_the_corrected_and_accepted_rows_close_their_tasks(
    web: WebWorld,
) -> None:
    client, csrf = web.login("u01_manager")
    unit_page = client.get("/units/U01")
    assert 'href="/units/U01/intake"' in unit_page.text
    before = records(web)
    answer = upload(client, csrf, year_zip())
    assert answer.status_code == 303  # type: ignore[attr-defined]
    location = answer.headers["location"]  # type: ignore[attr-defined]
    shown = proposals_page(client, location)
    assert shown.status_code == 200 and "确认前不会登记任何材料" in shown.text
    rows = dict(re.findall(r'<tr id="proposal-(\d+)" data-file="([^"]+)"', shown.text))
    index = {name: i for i, name in rows.items()}
    assert set(index) == {"2026-10-15 中心组学习.docx", "2026.10.20 主题党日.docx",
                          "9月/2026.9.10 中心组学习.pdf"}  # fmt: skip
    assert re.search(rf'id="confirm-{index["2026-10-15 中心组学习.docx"]}"[^>]*checked', shown.text)
    assert "未找到支部名称" in shown.text and records(web) == before
    october = task_id(web, "central-group-study", "U01", "2026-10")
    september = task_id(web, "central-group-study", "U01", "2026-09")
    theme = task_id(web, "theme-party-day", "U01-B01", "2026-10")
    i_theme = index["2026.10.20 主题党日.docx"]
    form = {"csrf_token": csrf, "confirm": list(index.values()),
            f"task_{i_theme}": str(theme), f"held_{i_theme}": "2026-10-20",
            f"title_{i_theme}": "10月主题党日", f"kind_{i_theme}": "minutes"}  # fmt: skip
    for name, i in index.items():
        if i != i_theme:  # as proposed
            form |= {f"task_{i}": shown_value(shown.text, f"task_{i}"),
                     f"held_{i}": shown_value(shown.text, f"held_{i}"),
                     f"title_{i}": name, f"kind_{i}": "minutes"}  # fmt: skip
    applied = client.post(location, data=form)
    assert applied.status_code == 200, applied.text
    assert "已登记 3 个文件（3 条记录）" in applied.text, re.findall(r"<li>.*?</li>", applied.text)
    assert records(web) == before + 3
    assert all(done(web, t) for t in (october, september, theme))
    assert client.get(location).status_code == 404  # the folder is gone once applied
    assert not list(scratch_dir(web.settings.data_dir).glob("obligations-intake-*"))


def test_one_click_records_only_the_confident_proposals(web: WebWorld) -> None:
    client, csrf = web.login("admin")
    location = upload(client, csrf, year_zip()).headers["location"]  # type: ignore[attr-defined]
    proposals_page(client, location)
    before = records(web)
    applied = client.post(location, data={"csrf_token": csrf, "accept_above": "0.9"})
    assert applied.status_code == 200 and "已登记 2 个文件" in applied.text
    assert records(web) == before + 2


def test_a_hostile_archive_is_refused_on_the_page_with_nothing_stored(web: WebWorld) -> None:
    client, csrf = web.login("u01_manager")
    evidence = web.settings.data_dir / "evidence"
    objects = sorted(p for p in evidence.rglob("*") if p.is_file())
    before = records(web)
    answer = upload(client, csrf, year_zip([("../../逃逸 中心组学习.docx", b"x")]))
    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert "已拒绝整个压缩包，未登记任何材料" in answer.text  # type: ignore[attr-defined]
    assert records(web) == before
    assert sorted(p for p in evidence.rglob("*") if p.is_file()) == objects
    assert not list(scratch_dir(web.settings.data_dir).glob("obligations-intake-*"))


def test_viewers_and_other_users_cannot_use_or_see_an_intake(web: WebWorld) -> None:
    viewer, viewer_csrf = web.login("u01_viewer")
    assert viewer.get("/units/U01/intake").status_code == 403
    assert upload(viewer, viewer_csrf, year_zip()).status_code == 403  # type: ignore[attr-defined]
    manager, csrf = web.login("u01_manager")
    location = upload(manager, csrf, year_zip()).headers["location"]  # type: ignore[attr-defined]
    proposals_page(manager, location)
    admin, _ = web.login("admin")
    assert admin.get(location).status_code == 404  # only the uploader sees it
    assert admin.get(f"{location}/status").status_code == 404
    other, _ = web.login("u02_manager")
    assert other.get("/units/U01/intake").status_code == 404


def test_a_forged_form_without_its_csrf_token_records_nothing(
    web: WebWorld, tmp_path: Path
) -> None:
    client, csrf = web.login("u01_manager")
    location = upload(client, csrf, year_zip()).headers["location"]  # type: ignore[attr-defined]
    proposals_page(client, location)
    before = records(web)
    forged = client.post(location, data={"accept_above": "0.9"})
    assert forged.status_code == 403 and records(web) == before


def meeting_files() -> list[tuple[str, bytes, str]]:
    """The minutes, the sign-in sheet and a photo of one theme party day, as loose files."""
    from benchmarks.intake_files import jpeg_bytes, sign_in_sheet

    from obligations.timeutil import LOCAL_TZ

    taken = datetime(2026, 10, 20, 15, 0, tzinfo=LOCAL_TZ)
    return [
        ("主题党日记录.docx", docx_bytes(["机电工程学院教工第一党支部主题党日活动记录",
                                          "时间：2026年10月20日"]), "application/octet-stream"),
        ("20261020教工第一党支部主题党日签到表.xlsx",
         sign_in_sheet("主题党日签到表", ["张三", "李四", "王五"]), "application/octet-stream"),
        ("20261020教工第一党支部主题党日照片.jpg", jpeg_bytes(taken), "image/jpeg"),
    ]  # fmt: skip


def test_several_loose_files_and_a_zip_are_read_together_and_one_meeting_is_one_record(
    web: WebWorld,
) -> None:
    client, csrf = web.login("u01_manager")
    files = [("files", (name, data, kind)) for name, data, kind in meeting_files()]
    files.append(("files", ("2026.zip", year_zip(), "application/zip")))
    form = {"csrf_token": csrf, "year": "2026", "branch": "U01-B01"}
    answer = client.post("/units/U01/intake", data=form, files=files)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    shown = proposals_page(client, location)
    rows = re.findall(r'<tr id="proposal-(\d+)" data-file="([^"]+)"(?: data-group="(\d+)")?',
                      shown.text)  # fmt: skip
    groups = {name: group for _, name, group in rows}
    assert set(groups) == {name for name, _, _ in meeting_files()} | {
        "2026.zip/2026-10-15 中心组学习.docx", "2026.zip/2026.10.20 主题党日.docx",
        "2026.zip/9月/2026.9.10 中心组学习.pdf",
    }  # fmt: skip
    # the minutes, sheet and photo, and the ZIP's minutes of the same day: one record
    meeting = {groups[name] for name, _, _ in meeting_files()}
    meeting.add(groups["2026.zip/2026.10.20 主题党日.docx"])
    assert len(meeting) == 1 and meeting != {""}
    assert "4 个文件合为一条" in shown.text
    theme = task_id(web, "theme-party-day", "U01-B01", "2026-10")
    before = records(web)
    applied = client.post(location, data={"csrf_token": csrf, "accept_above": "0.9"})
    assert "已登记 6 个文件（3 条记录）" in applied.text, applied.text
    assert records(web) == before + 3 and done(web, theme)
    with web.sessions() as db:
        (record,) = db.scalars(select(EvidenceRecord).where(EvidenceRecord.task_id == theme))
        assert (record.kind.value, record.participants, len(record.files)) == ("minutes", 3, 4)


def test_a_hostile_archive_among_several_files_refuses_the_upload_whole(web: WebWorld) -> None:
    client, csrf = web.login("u01_manager")
    files = [("files", (name, data, kind)) for name, data, kind in meeting_files()]
    files.append(("files", ("坏.zip", year_zip([("../逃逸.docx", b"x")]), "application/zip")))
    answer = client.post("/units/U01/intake", data={"csrf_token": csrf}, files=files)
    assert answer.status_code == 400 and "已拒绝整个压缩包" in answer.text
    assert not list(scratch_dir(web.settings.data_dir).glob("obligations-intake-*"))


def test_the_waiting_page_shows_the_reading_progress_until_the_proposals_are_ready(
    web: WebWorld,
) -> None:
    from obligations.web import intake_jobs

    client, csrf = web.login("u01_manager")
    location = upload(client, csrf, year_zip()).headers["location"]  # type: ignore[attr-defined]
    proposals_page(client, location)
    folder = scratch_dir(web.settings.data_dir) / f"obligations-intake-{location.rsplit('/', 1)[1]}"
    (folder / intake_jobs.PROPOSALS).rename(folder / "held.json")  # as if still reading
    (folder / intake_jobs.PROGRESS).write_text('{"done": 2, "total": 3}', "utf-8")
    waiting = client.get(location)
    assert waiting.status_code == 200 and "正在读取文件" in waiting.text
    assert 'value="2"' in waiting.text and "已读取 2 / 3 个文件" in waiting.text
    assert client.get(f"{location}/status").json() == {
        "ready": False, "done": 2, "total": 3, "error": None,
    }  # fmt: skip
    (folder / "held.json").rename(folder / intake_jobs.PROPOSALS)
    assert client.get(f"{location}/status").json()["ready"] is True
    assert "确认前不会登记任何材料" in client.get(location).text


def test_two_uploaded_files_of_the_same_name_are_both_read(web: WebWorld) -> None:
    client, csrf = web.login("u01_manager")
    minutes = docx_bytes(["中心组理论学习记录", "时间：2026年10月15日"])
    other = docx_bytes(["中心组理论学习记录", "时间：2026年9月10日"])
    files = [("files", ("中心组学习.docx", data, "application/octet-stream"))
             for data in (minutes, other)]  # fmt: skip
    answer = client.post("/units/U01/intake", data={"csrf_token": csrf, "year": "2026"},
                         files=files)  # fmt: skip
    shown = proposals_page(client, answer.headers["location"])
    names = re.findall(r'<tr id="proposal-\d+" data-file="([^"]+)"', shown.text)
    assert sorted(names) == ["中心组学习 (2).docx", "中心组学习.docx"]


def test_a_branch_activity_uploaded_without_a_branch_gets_its_task_from_the_branch_picked(
    web: WebWorld,
) -> None:
    client, csrf = web.login("u01_manager")
    minutes = docx_bytes(["2026年3月12日 主题党日 签到 23 人"])
    answer = client.post(
        "/units/U01/intake",
        data={"csrf_token": csrf, "year": "2026", "branch": ""},
        files={"files": ("2026年3月主题党日记录.docx", minutes, "application/octet-stream")},
    )
    location = answer.headers["location"]
    shown = proposals_page(client, location).text
    assert '<select name="branch_0"' in shown and "请在“任务编号”列选择支部" in shown
    assert '<option value="U01-B01">U01-B01 组织</option>' in shown  # the name, not code + name
    theme = task_id(web, "theme-party-day", "U01-B01", "2026-03")
    form = {"csrf_token": csrf, "confirm": "0", "task_0": "", "held_0": "2026-03-12",
            "branch_0": "U01-B01", "title_0": "3月主题党日", "kind_0": "minutes"}  # fmt: skip
    applied = client.post(location, data=form)
    assert "已登记 1 个文件（1 条记录）" in applied.text, applied.text
    assert done(web, theme)
