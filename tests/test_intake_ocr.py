"""OCR in bulk intake: photos and scanned PDF pages of Chinese text are read by Tesseract
(chi_sim) and matched; without Tesseract the reasons say OCR is not installed and the
proposal comes from the file name and date only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmarks.intake_files import encoded, text_picture
from PIL import Image
from tests.test_intake_cli import Deployment, deployment, frozen_clock

from obligations.evidence.bulk import ocr, readers

__all__ = ["deployment", "frozen_clock"]

LINES = ["机电工程学院教工第一党支部", "主题党日活动签到", "2026年3月12日 签到 23 人"]


def text_image(lines: list[str], size: tuple[int, int] = (1400, 500)) -> Image.Image:
    return text_picture(lines, size=size)


def test_a_photo_of_chinese_text_is_read_by_ocr() -> None:
    reading = readers.read("IMG_0312.png", encoded(text_image(LINES), "PNG"), ocr=True)
    assert "2026年3月12日" in reading.text and "主题党日" in reading.text, reading.text
    assert "签到23人" in reading.text
    assert reading.note is not None and "文字识别（OCR）" in reading.note


def test_a_large_photo_is_shrunk_before_ocr_and_still_read() -> None:
    big = text_picture(LINES, size=(6000, 4000), points=200)  # 24 megapixels
    reading = readers.read("DSC_1.jpg", encoded(big, "JPEG"), ocr=True)
    assert "主题党日" in reading.text, reading.text


def test_a_scanned_pdf_without_a_text_layer_is_read_by_ocr() -> None:
    reading = readers.read("扫描件.pdf", encoded(text_image(LINES), "PDF"), ocr=True)
    assert "2026年3月12日" in reading.text, reading
    assert reading.note == f"扫描件经文字识别（OCR）读出 {len(reading.text)} 字"


def test_without_tesseract_the_reasons_say_ocr_is_not_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ocr, "available", lambda: False)
    photo = readers.read("IMG_0312.png", encoded(text_image(LINES), "PNG"), ocr=True)
    assert photo.text == "" and photo.problem is not None
    assert photo.problem.startswith("未安装文字识别（OCR）组件")
    scan = readers.read("扫描件.pdf", encoded(text_image(LINES), "PDF"), ocr=True)
    assert scan.problem is not None and "未安装文字识别（OCR）组件" in scan.problem


def test_tesseract_with_its_chinese_data_is_detected() -> None:
    assert ocr.available() is True  # .ci/run installs tesseract-ocr and tesseract-ocr-chi-sim


def test_tesseract_spaces_between_chinese_characters_are_removed() -> None:
    spaced = "2026 年 3 月 12 日 主 题 党 日\n\n签 到 23 人 "
    assert ocr.tidy(spaced) == "2026年3月12日主题党日\n签到23人"


def test_a_photo_that_names_nothing_is_matched_by_what_ocr_reads_in_it(
    deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "照片"
    folder.mkdir()
    (folder / "IMG_0312.png").write_bytes(encoded(text_image(LINES), "PNG"))
    result = deployment.run("evidence", "intake", folder, "--unit", "U01", "--json")
    (found,) = json.loads(result.stdout)
    assert (found["rule_id"], found["branch_code"], found["period_key"], found["held_on"]) == (
        "theme-party-day", "U01-B01", "2026-03", "2026-03-12",
    ), found  # fmt: skip
    assert found["participants"] == 23 and found["task_id"] is not None
    assert any("文字识别（OCR）" in reason for reason in found["reasons"])
    skipped = json.loads(
        deployment.run("evidence", "intake", folder, "--unit", "U01", "--json", "--no-ocr").stdout
    )[0]
    assert skipped["task_id"] is None
    assert any("未做文字识别（OCR）" in reason for reason in skipped["reasons"]), skipped
    monkeypatch.setattr(ocr, "available", lambda: False)
    blind = json.loads(
        deployment.run("evidence", "intake", folder, "--unit", "U01", "--json").stdout
    )[0]
    assert blind["task_id"] is None
    assert any("未安装文字识别（OCR）" in reason for reason in blind["reasons"]), blind
