"""Each reader of bulk intake on tiny generated files, and its bounds and soft failures."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

from benchmarks.intake_files import (
    docx_bytes,
    heic_bytes,
    jpeg_bytes,
    pdf_bytes,
    sign_in_sheet,
)

from obligations.evidence.bulk import readers
from obligations.evidence.bulk.readers import read
from obligations.timeutil import LOCAL_TZ


def test_a_word_file_gives_its_paragraphs_and_table_cells() -> None:
    data = docx_bytes(
        ["主题党日活动记录", "时间：2026年3月12日"], [["姓名", "签名"], ["张三", "√"]]
    )
    reading = read("记录.docx", data)
    assert reading.problem is None
    assert reading.text.splitlines() == [
        "主题党日活动记录",
        "时间：2026年3月12日",
        "姓名\t签名",
        "张三\t√",
    ]


def test_a_pdf_gives_its_chinese_text() -> None:
    reading = read("记录.PDF", pdf_bytes(["支部委员会会议记录", "参会人数：5"]))
    assert reading.text.split() == ["支部委员会会议记录", "参会人数：5"]


def test_a_pdf_without_text_says_it_may_be_a_scan() -> None:
    reading = read("扫描件.pdf", pdf_bytes([]))
    assert reading.text == "" and reading.problem is not None and "扫描件" in reading.problem


def test_an_excel_sign_in_sheet_gives_its_cells_and_counts_the_names() -> None:
    reading = read("签到表.xlsx", sign_in_sheet("主题党日签到表", ["张三", "李四", "欧阳明月"]))
    assert reading.text.splitlines()[0] == "主题党日签到表"
    assert reading.signed == 3


def test_a_text_file_in_gbk_is_read() -> None:
    assert read("说明.txt", "党课 2026年5月8日".encode("gb18030")).text == "党课 2026年5月8日"


def test_a_jpeg_gives_the_day_it_was_taken() -> None:
    reading = read("IMG_0001.JPG", jpeg_bytes(datetime(2026, 3, 12, 14, 30, tzinfo=LOCAL_TZ)))
    assert (reading.photo, reading.taken_on) == (True, date(2026, 3, 12))


def test_a_heic_photo_gives_the_day_it_was_taken() -> None:
    reading = read("IMG_0002.HEIC", heic_bytes(datetime(2026, 7, 1, 9, 0, tzinfo=LOCAL_TZ)))
    assert (reading.photo, reading.taken_on) == (True, date(2026, 7, 1))


def test_a_photo_without_exif_says_so() -> None:
    reading = read("合影.jpg", jpeg_bytes(None))
    assert reading.taken_on is None and reading.problem is not None and "EXIF" in reading.problem


def test_a_damaged_file_fails_softly_into_a_reason() -> None:
    for name in ("坏.docx", "坏.pdf", "坏.xlsx", "坏.jpg"):
        reading = read(name, b"not really a file")
        assert reading.text == ""
        assert reading.problem is not None and reading.problem.endswith("仅按文件名判断")


def test_old_office_formats_and_unknown_files_are_read_by_name_only() -> None:
    assert "旧版" in (read("记录.doc", b"\xd0\xcf\x11\xe0").problem or "")
    assert "不读取" in (read("视频.mp4", b"....").problem or "")


def test_reading_stops_at_the_character_bound() -> None:
    lines = ["主题党日" * 50] * 400  # 80,000 characters
    assert len(read("长.docx", docx_bytes(lines)).text) <= readers.MAX_CHARS


def test_a_word_file_that_would_unpack_past_the_bound_is_not_opened() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (readers.MAX_OFFICE_UNPACKED + 1))
    reading = read("炸弹.docx", out.getvalue())
    assert reading.text == "" and reading.problem is not None and "压缩比" in reading.problem
