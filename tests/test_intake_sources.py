"""Files streamed from a folder or a ZIP for bulk intake: what is offered, skipped or refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from obligations.errors import InvalidRequest
from obligations.evidence.bulk.sources import ArchiveLimits, ArchiveRefused, Source


def test_a_folder_offers_its_files_in_name_order_and_skips_links_and_leftovers(
    tmp_path: Path,
) -> None:
    (tmp_path / "3月").mkdir()
    (tmp_path / "3月" / "主题党日.docx").write_bytes(b"x")
    (tmp_path / "中心组.pdf").write_bytes(b"yy")
    (tmp_path / ".DS_Store").write_bytes(b"")
    (tmp_path / "~$主题党日.docx").write_bytes(b"")
    (tmp_path / "链接.pdf").symlink_to("/etc/passwd")
    with Source(tmp_path) as source:
        files = source.files()
        assert [(f.name, f.size, f.skipped) for f in files] == [
            ("3月/主题党日.docx", 1, None),
            ("中心组.pdf", 2, None),
            ("链接.pdf", 0, "符号链接，已跳过（请放入文件本身）"),
        ]
        assert source.read("中心组.pdf") == b"yy"
        with pytest.raises(InvalidRequest):
            source.read("链接.pdf")


def test_names_written_by_chinese_windows_in_gbk_are_read_as_chinese(tmp_path: Path) -> None:
    path = tmp_path / "gbk.zip"
    gbk = "主题党日".encode("gbk")  # 8 bytes, written in place of an ASCII name as long
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ABCDEFGH.docx", b"content")
    path.write_bytes(path.read_bytes().replace(b"ABCDEFGH", gbk))
    with Source(path) as source:
        assert [f.name for f in source.files()] == ["主题党日.docx"]
        assert source.read("主题党日.docx") == b"content"


def test_a_file_over_the_entry_limit_is_offered_as_too_large_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("大.pdf", b"%" * 3000)
    with Source(path, ArchiveLimits(max_entry=1000)) as source:
        (file,) = source.files()
        assert file.skipped is not None and "超过" in file.skipped


def test_an_archive_with_too_many_entries_or_too_much_unpacked_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for n in range(5):
            archive.writestr(f"{n}.pdf", b"x" * 100)
    with (
        pytest.raises(ArchiveRefused, match="超过上限 4"),
        Source(path, ArchiveLimits(max_entries=4)),
    ):
        pass
    with (
        pytest.raises(ArchiveRefused, match="解压后超过"),
        Source(path, ArchiveLimits(max_total=300)),
    ):
        pass


def test_a_path_that_is_neither_folder_nor_zip_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    with pytest.raises(InvalidRequest, match="不是 ZIP 压缩包"), Source(tmp_path / "a.pdf"):
        pass
