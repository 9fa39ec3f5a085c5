"""The ledger page: each item's narrative and measures written by the unit, and the evidence
bundle downloaded under its Chinese name."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select
from tests.helpers import shipped_catalog
from tests.storage_samples import PDF
from tests.web_support import WebWorld, web, world_template

from obligations.ledger.bundle import INDEX_NAME
from obligations.ledger.notes import MAX_TEXT
from obligations.ledger.service import ledger_document_for
from obligations.models import AuditEntry, LedgerNote
from obligations.timeutil import local_date

__all__ = ["web", "world_template"]

NOTES = "/units/U01/ledger/2026/items/2.3/notes"


def save(web: WebWorld, user: str, path: str = NOTES, **fields: str):  # type: ignore[no-untyped-def]
    client, csrf = web.login(user)
    return client, client.post(path, data={"csrf_token": csrf} | fields)


def note(web: WebWorld, item: str = "2.3") -> LedgerNote | None:
    with web.sessions() as db:
        return db.scalar(
            select(LedgerNote).where(LedgerNote.ledger_item == item, LedgerNote.year == 2026)
        )


def test_a_unit_manager_writes_an_items_narrative_and_measures_into_the_ledger(
    web: WebWorld,
) -> None:
    client, response = save(
        web, "u01_manager", narrative="全年召开支部党员大会 12 次", measures="加强会前通知"
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/units/U01/ledger?year=2026&message=")
    page = client.get(response.headers["location"]).text
    assert "条目 2.3 的说明已保存" in page
    assert "全年召开支部党员大会 12 次</textarea>" in page and "加强会前通知</textarea>" in page
    assert "全年召开支部党员大会 12 次" in client.get("/units/U01/ledger/2026.html").text
    saved = note(web)
    assert saved is not None and saved.updated_by == "web:u01_manager"
    with web.sessions() as db:
        actions = db.scalars(select(AuditEntry.action).where(AuditEntry.actor == "web:u01_manager"))
        assert "ledger.notes" in list(actions)


def test_an_administrator_edits_any_units_notes_and_an_empty_text_clears_them(
    web: WebWorld,
) -> None:
    path = "/units/U02/ledger/2026/items/1.1/notes"
    save(web, "admin", path, narrative="按期换届", measures="无")
    _, response = save(web, "admin", path, narrative="", measures="")
    assert response.status_code == 303
    cleared = note(web, "1.1")
    assert cleared is not None and cleared.narrative is None and cleared.measures is None


def test_an_unknown_item_or_an_over_long_text_is_refused_with_the_services_reason(
    web: WebWorld,
) -> None:
    _, unknown = save(web, "u01_manager", "/units/U01/ledger/2026/items/9.9/notes", narrative="x")
    assert unknown.status_code == 400 and "没有条目 9.9" in unknown.text
    _, long = save(web, "u01_manager", narrative="字" * (MAX_TEXT + 1))
    assert long.status_code == 400 and "过长" in long.text
    assert note(web) is None


def test_the_notes_form_refuses_a_request_without_the_csrf_token(web: WebWorld) -> None:
    client, _ = web.login("u01_manager")
    response = client.post(NOTES, data={"narrative": "伪造"})
    assert response.status_code == 403 and "CSRF" in response.text
    assert note(web) is None


@pytest.mark.parametrize("user", ["u01_viewer", "viewer_all"])
def test_readers_see_the_notes_without_a_form_and_cannot_save_them(
    web: WebWorld, user: str
) -> None:
    save(web, "u01_manager", narrative="已落实", measures="继续坚持")
    client, response = save(web, user, narrative="篡改")
    assert response.status_code == 403
    page = client.get("/units/U01/ledger?year=2026").text
    assert "已落实" in page and "继续坚持" in page and "<textarea" not in page
    saved = note(web)
    assert saved is not None and saved.narrative == "已落实"


def test_the_evidence_bundle_holds_the_ledger_the_index_and_each_file_byte_for_byte(
    web: WebWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    client, _ = web.login("u01_viewer")
    response = client.get("/units/U01/ledger/2026/bundle.zip")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/zip"
    disposition = response.headers["content-disposition"]
    name = "U01-U01 组织台账（2026年度）.zip"
    assert disposition.startswith('attachment; filename="')
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition, disposition
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert any(n.endswith(".docx") for n in names)
    assert any(n.endswith(f"{INDEX_NAME}.xlsx") for n in names)
    files = [n for n in names if n.endswith(".pdf")]
    assert files and all(archive.read(n) == PDF for n in files)
    assert list(scratch.iterdir()) == []  # the temporary ZIP is gone once sent


def test_the_ledger_page_links_to_the_bundle_and_offers_a_form_for_each_item(
    web: WebWorld,
) -> None:
    client, _ = web.login("u01_manager")
    page = client.get("/units/U01/ledger?year=2026").text
    assert 'href="/units/U01/ledger/2026/bundle.zip"' in page
    assert 'action="/units/U01/ledger/2026/items/2.3/notes"' in page
    assert page.count("<textarea") == 2 * page.count('class="notes"') > 0


def test_a_year_outside_the_ledgers_range_is_refused_not_an_error(web: WebWorld) -> None:
    client, csrf = web.login("admin")
    # An address naming no ledger that can exist: not found (tests/test_web_out_of_range.py)
    assert client.get("/units/U01/ledger/99999/bundle.zip").status_code == 404
    response = client.post(
        "/units/U01/ledger/1900/items/2.3/notes", data={"csrf_token": csrf, "narrative": "x"}
    )
    assert response.status_code == 404


LACKING = re.compile(r'<a href="#item-([\d.]+)" id="lacking-\1">\1 ([^<]+)</a>')


def lacking_in(page: str) -> dict[str, str]:
    """The items the page lists as still lacking a measure, with their short titles."""
    return dict(LACKING.findall(page))


def test_the_ledger_page_lists_the_items_whose_gaps_still_lack_a_measure(web: WebWorld) -> None:
    with web.sessions() as db:
        rows = ledger_document_for(
            db, shipped_catalog(), "U01", 2026, local_date(web.clock[0])
        ).rows
    wanted = {row.item_id: row.item_name for row in rows if row.gaps.endswith("（整改措施待填写）")}
    assert len(wanted) >= 2  # the web world's U01 has missed tasks under several items
    client, csrf = web.login("u01_manager")
    page = client.get("/units/U01/ledger?year=2026").text
    assert f"尚缺整改措施的条目（{len(wanted)}项）" in page
    assert lacking_in(page) == wanted
    for item in wanted:  # each link opens that item's notes form, left open to fill in
        form = f'action="/units/U01/ledger/2026/items/{item}/notes"'
        assert re.search(
            rf'<details id="item-{re.escape(item)}"[^>]* open>\s*<summary>[^<]*'
            rf'（整改措施待填写）</summary>\s*<form method="post" {form}',
            page,
        ), item
    first, *others = wanted
    saved = client.post(f"/units/U01/ledger/2026/items/{first}/notes",
                        data={"csrf_token": csrf, "measures": "下月起按月补开"})  # fmt: skip
    page = client.get(saved.headers["location"]).text
    assert f"尚缺整改措施的条目（{len(others)}项）" in page
    assert set(lacking_in(page)) == set(others)
    for item in others:
        client.post(f"/units/U01/ledger/2026/items/{item}/notes",
                    data={"csrf_token": csrf, "measures": "按计划整改"})  # fmt: skip
    page = client.get("/units/U01/ledger?year=2026").text
    assert lacking_in(page) == {} and "尚缺整改措施" not in page
    assert "未达标条目均已填写整改措施。" in page
