"""The original file name is kept as metadata; names that could mislead are refused."""

from __future__ import annotations

import unicodedata

import pytest

from obligations.evidence.storage import (
    MAX_NAME_BYTES,
    BadFileName,
    StorageRefused,
    clean_filename,
)


def test_a_chinese_name_is_kept_as_typed() -> None:
    assert clean_filename("2025年度台账（第一支部）.docx") == "2025年度台账（第一支部）.docx"


def test_the_name_is_normalized_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Café 会议.pdf")
    assert decomposed != "Café 会议.pdf"
    assert clean_filename(decomposed) == "Café 会议.pdf"


def test_surrounding_spaces_are_removed() -> None:
    assert clean_filename("  报告.pdf \u3000") == "报告.pdf"


def test_a_name_of_exactly_the_limit_in_bytes_is_kept() -> None:
    name = "记" * 83 + "ab.pdf"  # 249 + 6 bytes
    assert len(name.encode()) == MAX_NAME_BYTES
    assert clean_filename(name) == name


def test_a_300_character_name_is_refused_saying_the_limit() -> None:
    with pytest.raises(BadFileName, match=r"300 个字符.*最多 255 字节"):
        clean_filename("a" * 296 + ".pdf")


@pytest.mark.parametrize(
    "name",
    ["记" * 84 + ".pdf", "会议记录😀" * 48 + "纪要.pdf", "😀" * 63 + ".pdf"],
    ids=["256-bytes-of-chinese", "246-characters-with-emoji", "256-bytes-of-emoji"],
)
def test_a_name_over_255_bytes_is_refused_though_it_has_fewer_characters(name: str) -> None:
    assert len(name) < MAX_NAME_BYTES < len(name.encode())
    with pytest.raises(BadFileName, match=r"个字符，占 \d+ 字节），最多 255 字节"):
        clean_filename(name)


@pytest.mark.parametrize("name", ["../../etc/passwd", "../报告.pdf", "a/b.pdf", "..\\boot.ini"])
def test_a_name_with_a_path_is_refused(name: str) -> None:
    with pytest.raises(BadFileName, match="路径分隔符"):
        clean_filename(name)


@pytest.mark.parametrize("name", [".", ".."])
def test_dot_and_dotdot_are_refused(name: str) -> None:
    with pytest.raises(BadFileName, match="不能是"):
        clean_filename(name)


def test_a_nul_is_refused() -> None:
    with pytest.raises(BadFileName, match="NUL"):
        clean_filename("报告.pdf\x00.exe")


@pytest.mark.parametrize(
    "name",
    [
        "报告\n.pdf",
        "报告\t.pdf",
        "报告\x7f.pdf",
        "报告\u202efdp.exe",
        "报\u200b告.pdf",
        "\ufeff报告.pdf",
    ],
)
def test_control_and_invisible_formatting_characters_are_refused(name: str) -> None:
    with pytest.raises(BadFileName, match="控制或格式字符"):
        clean_filename(name)


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_name_is_refused(name: str) -> None:
    with pytest.raises(BadFileName, match="文件名为空"):
        clean_filename(name)


def test_a_bad_name_is_a_storage_refusal_the_edges_report() -> None:
    assert issubclass(BadFileName, StorageRefused)
