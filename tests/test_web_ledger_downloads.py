"""The ledger downloads (Word, PDF) in the college's own template, and a PDF the server cannot
make shown as a message page."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document
from tests.web_support import WebWorld, web, world_template

from obligations.ledger.render_docx import default_template

__all__ = ["web", "world_template"]

RESTYLED_TITLE = "附件二（{{ unit_name }}）"


def install_college_template(web: WebWorld) -> None:
    """The shipped template with its first paragraph (the title) reworded, in the data
    directory's ``calendar_rules/`` as an administrator would put it."""
    restyled = Document(str(default_template()))
    restyled.paragraphs[0].text = RESTYLED_TITLE
    folder = web.settings.data_dir / "calendar_rules"
    folder.mkdir(exist_ok=True)
    restyled.save(str(folder / "ledger-template.docx"))


def test_the_word_download_is_filled_into_the_colleges_own_template(web: WebWorld) -> None:
    install_college_template(web)
    client, _ = web.login("u01_viewer")
    response = client.get("/units/U01/ledger/2026.docx")
    assert response.status_code == 200, response.text[:300]
    word = Document(io.BytesIO(response.content))
    assert word.paragraphs[0].text == "附件二（U01 组织）"


def test_the_bundles_word_ledger_is_filled_into_the_same_template(web: WebWorld) -> None:
    install_college_template(web)
    client, _ = web.login("u01_viewer")
    response = client.get("/units/U01/ledger/2026/bundle.zip")
    assert response.status_code == 200, response.text[:300]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    (name,) = [n for n in archive.namelist() if n.endswith(".docx")]
    assert Document(io.BytesIO(archive.read(name))).paragraphs[0].text == "附件二（U01 组织）"


def test_the_pdf_download_is_converted_from_the_colleges_own_template(
    web: WebWorld, tmp_path: Path
) -> None:
    # The CI installs LibreOffice and poppler-utils (see test_ledger_render): no skip here.
    install_college_template(web)
    client, _ = web.login("u01_viewer")
    response = client.get("/units/U01/ledger/2026.pdf")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/pdf"
    target = tmp_path / "ledger.pdf"
    target.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "附件二（U01组织）" in re.sub(r"\s+", "", text)


def test_a_pdf_the_server_cannot_make_is_a_chinese_message_page_not_a_server_error(
    web: WebWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-libreoffice"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # the renderer finds no soffice
    client, _ = web.login("u01_viewer")
    response = client.get("/units/U01/ledger/2026.pdf", headers={"referer": "/units/U01/ledger"})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "暂时无法生成" in response.text
    assert "服务器未安装 LibreOffice" in response.text
    assert "Word 版台账" in response.text
    assert 'href="/units/U01/ledger"' in response.text


def test_a_broken_college_template_refuses_the_word_download_with_its_reason(
    web: WebWorld,
) -> None:
    broken = Document(str(default_template()))
    broken.paragraphs[0].text = "{{ unit_name"
    folder = web.settings.data_dir / "calendar_rules"
    folder.mkdir(exist_ok=True)
    broken.save(str(folder / "ledger-template.docx"))
    client, _ = web.login("u01_viewer")
    response = client.get("/units/U01/ledger/2026.docx")
    assert response.status_code == 503
    assert "台账模板中的占位符有误" in response.text
    assert "ledger-template.docx" in response.text
