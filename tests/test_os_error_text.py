"""Every OS error a command reports while reading or writing a file is told in Chinese."""

import errno
from pathlib import Path

from click.testing import CliRunner

from obligations.cli.main import cli
from obligations.errors import os_error_text


def test_common_os_errors_read_in_chinese() -> None:
    assert os_error_text(FileNotFoundError(errno.ENOENT, "No such file or directory")) == (
        "目录或文件不存在"
    )
    assert "权限" in os_error_text(PermissionError(errno.EACCES, "Permission denied"))
    assert "磁盘空间不足" in os_error_text(OSError(errno.ENOSPC, "No space left on device"))
    assert "目录" in os_error_text(IsADirectoryError(errno.EISDIR, "Is a directory"))


def test_an_unlisted_errno_gives_its_number_not_the_english_text() -> None:
    text = os_error_text(OSError(errno.EXDEV, "Invalid cross-device link"))
    assert str(errno.EXDEV) in text
    assert "Invalid" not in text


def test_writing_a_template_into_a_missing_directory_says_so_in_chinese(tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "x.xlsx"
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "template", str(target)])
    assert result.exit_code == 1, result.output
    assert "目录或文件不存在" in result.output
    assert "No such file" not in result.output
