"""Why bulk intake could not read a file is told in Chinese only; the library's English goes
to the log."""

import io
import re

from pypdf import PdfWriter

from obligations.evidence.bulk.readers import read

_ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
_NAMES = {"PDF", "Word", "Excel"}


def _english(text: str) -> set[str]:
    return set(_ENGLISH_WORD.findall(text)) - _NAMES


def test_an_empty_pdf_is_said_to_be_empty_in_chinese() -> None:
    problem = read("记录.pdf", b"").problem
    assert problem is not None
    assert "文件为空" in problem
    assert _english(problem) == set()


def test_a_damaged_word_and_excel_file_is_said_to_be_damaged_in_chinese() -> None:
    for name in ("记录.docx", "名单.xlsx", "扫描.pdf"):
        problem = read(name, b"this is not an office file at all" * 10).problem
        assert problem is not None
        assert "文件已损坏" in problem, problem
        assert _english(problem) == set(), problem


def test_an_encrypted_pdf_is_said_to_be_encrypted() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    reading = read("会议.pdf", out.getvalue())
    assert reading.problem is not None
    assert "加密" in reading.problem, reading.problem
    assert _english(reading.problem) == set()
