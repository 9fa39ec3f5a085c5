"""Bulk intake on the web: a ZIP uploaded on the unit page, proposals corrected and accepted,
the tasks done; hostile archives and read-only users refused with nothing stored."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

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
    shown = client.get(location)
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
    assert "已登记 3 个文件" in applied.text, re.findall(r"<li>.*?</li>", applied.text)
    assert records(web) == before + 3
    assert all(done(web, t) for t in (october, september, theme))
    assert client.get(location).status_code == 404  # the folder is gone once applied
    assert not list(scratch_dir(web.settings.data_dir).glob("obligations-intake-*"))


def test_one_click_records_only_the_confident_proposals(web: WebWorld) -> None:
    client, csrf = web.login("admin")
    location = upload(client, csrf, year_zip()).headers["location"]  # type: ignore[attr-defined]
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
    admin, _ = web.login("admin")
    assert admin.get(location).status_code == 404  # only the uploader sees it
    other, _ = web.login("u02_manager")
    assert other.get("/units/U01/intake").status_code == 404


def test_a_forged_form_without_its_csrf_token_records_nothing(
    web: WebWorld, tmp_path: Path
) -> None:
    client, csrf = web.login("u01_manager")
    location = upload(client, csrf, year_zip()).headers["location"]  # type: ignore[attr-defined]
    before = records(web)
    forged = client.post(location, data={"accept_above": "0.9"})
    assert forged.status_code == 403 and records(web) == before
