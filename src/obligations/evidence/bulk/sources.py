"""The files of a folder or a ZIP archive, one at a time, each read whole only when asked.

An archive is checked entry by entry before any file is offered, and refused as a whole
(:class:`ArchiveRefused`, nothing read, nothing stored) when an entry would land outside it
(``..``, an absolute path or drive), is a symbolic link, has a path component over 255 bytes
(:mod:`obligations.archivenames`), is encrypted, or when the archive holds too many entries or
declares more than :attr:`ArchiveLimits.max_total` bytes unpacked or an entry compressed more
than :attr:`ArchiveLimits.max_ratio` times (a zip bomb). Reading an entry stops at its declared
size (Python's zipfile) and at :attr:`ArchiveLimits.max_entry`; the CRC is checked at its end.
Names written by Chinese Windows (GBK without the UTF-8 flag) are decoded as GBK.

In a folder, symbolic links are skipped (they may lead anywhere) and so are the files that
systems leave behind (``.DS_Store``, ``Thumbs.db``, Office's ``~$`` lock files, ``__MACOSX``).
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from obligations.archivenames import MAX_COMPONENT_BYTES, utf8_length
from obligations.errors import InvalidRequest

CHUNK = 1024 * 1024
_LEFT_BEHIND = frozenset({".ds_store", "thumbs.db", "desktop.ini"})


class ArchiveRefused(InvalidRequest):
    """A hostile or broken archive: refused whole, before anything was read from it."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_entries: int = 5000
    max_total: int = 4 * 1024**3  # bytes unpacked, all entries
    max_entry: int = 50 * 1024 * 1024  # bytes; a larger file is offered as too large
    max_ratio: int = 100  # unpacked / packed, for entries over 1 MiB


@dataclass(frozen=True)
class SourceFile:
    """One file of the source: its path inside it ("3月/主题党日.docx") and its size."""

    name: str
    size: int
    skipped: str | None = None  # why it is not read (Chinese), e.g. a symbolic link


def left_behind(name: str) -> bool:
    """Files that operating systems and Office leave in folders, never evidence."""
    parts = PurePosixPath(name).parts
    last = parts[-1] if parts else name
    return (
        last.lower() in _LEFT_BEHIND
        or last.startswith("~$")
        or last.startswith("._")
        or "__MACOSX" in parts
    )


class Source:
    """A folder or a ZIP archive to read files from; a context manager."""

    def __init__(self, path: Path, limits: ArchiveLimits | None = None) -> None:
        self.path, self.limits = path, limits or ArchiveLimits()
        self._zip: zipfile.ZipFile | None = None
        self._entries: dict[str, zipfile.ZipInfo] = {}

    def __enter__(self) -> Source:
        if not self.path.exists():
            raise InvalidRequest(f"找不到 {self.path}：请给出一个文件夹或 .zip 压缩包")
        if self.path.is_file():
            if not zipfile.is_zipfile(self.path):
                raise InvalidRequest(f"{self.path.name} 不是 ZIP 压缩包：请给出文件夹或 .zip 文件")
            self._zip = zipfile.ZipFile(self.path)
            self._entries = checked_entries(self._zip, self.limits)
        elif not self.path.is_dir():
            raise InvalidRequest(f"{self.path} 既不是文件夹也不是压缩包")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._zip is not None:
            self._zip.close()

    def files(self) -> list[SourceFile]:
        """Every file, in name order (the list is small: names and sizes only)."""
        if self._zip is not None:
            return [
                SourceFile(name, info.file_size, _too_large(info.file_size, self.limits))
                for name, info in sorted(self._entries.items())
            ]
        return sorted(_folder_files(self.path, self.path, self.limits), key=lambda f: f.name)

    def read(self, name: str) -> bytes:
        """The whole content of the file ``name`` (at most ``max_entry`` bytes)."""
        if self._zip is not None:
            info = self._entries.get(name)
            if info is None:
                raise InvalidRequest(f"压缩包中没有文件“{name}”")
            with self._zip.open(info) as stream:
                return _bounded(stream.read, self.limits.max_entry, name)
        path = self.path / name
        if path.is_symlink() or not path.resolve().is_relative_to(self.path.resolve()):
            raise InvalidRequest(f"“{name}”不在文件夹 {self.path} 中")
        with path.open("rb") as stream:
            return _bounded(stream.read, self.limits.max_entry, name)


def _bounded(read: object, limit: int, name: str) -> bytes:
    parts: list[bytes] = []
    size = 0
    assert callable(read)
    while chunk := read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise InvalidRequest(f"“{name}”超过 {limit // 1024 // 1024} MB，未读取")
        parts.append(chunk)
    return b"".join(parts)


def _too_large(size: int, limits: ArchiveLimits) -> str | None:
    if size > limits.max_entry:
        return f"文件超过 {limits.max_entry // 1024 // 1024} MB，未读取"
    return None


def _folder_files(root: Path, folder: Path, limits: ArchiveLimits) -> Iterator[SourceFile]:
    with os.scandir(folder) as entries:
        for entry in entries:
            name = Path(entry.path).relative_to(root).as_posix()
            if left_behind(name):
                continue
            if entry.is_symlink():
                yield SourceFile(name, 0, "符号链接，已跳过（请放入文件本身）")
            elif entry.is_dir(follow_symlinks=False):
                yield from _folder_files(root, Path(entry.path), limits)
            elif entry.is_file(follow_symlinks=False):
                size = entry.stat(follow_symlinks=False).st_size
                yield SourceFile(name, size, _too_large(size, limits))


def entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as its maker wrote it: GBK when the UTF-8 flag is not set and the
    bytes read as GBK (Chinese Windows), else as zipfile decoded it."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def checked_entries(archive: zipfile.ZipFile, limits: ArchiveLimits) -> dict[str, zipfile.ZipInfo]:
    """The archive's files by their safe relative names, or :class:`ArchiveRefused`."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise ArchiveRefused(
            f"压缩包中有 {len(infos)} 个条目，超过上限 {limits.max_entries}，已拒绝，未登记任何材料"
        )
    entries: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = entry_name(info)
        problem = _entry_problem(info, name, limits)
        if problem:
            raise ArchiveRefused(
                f"压缩包中的“{name[:80]}”{problem}，已拒绝整个压缩包，未登记任何材料"
            )
        total += info.file_size
        if total > limits.max_total:
            raise ArchiveRefused(
                f"压缩包解压后超过 {limits.max_total // 1024**3} GB，已拒绝，未登记任何材料"
            )
        clean = PurePosixPath(name.replace("\\", "/")).as_posix()
        if not info.is_dir() and not left_behind(clean):
            entries[clean] = info
    return entries


def _entry_problem(info: zipfile.ZipInfo, name: str, limits: ArchiveLimits) -> str | None:
    path = name.replace("\\", "/")
    parts = [p for p in path.split("/") if p]
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return "是绝对路径"
    if ".." in parts:
        return "指向压缩包之外（含 ..）"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "是符号链接"
    if any(utf8_length(p) > MAX_COMPONENT_BYTES for p in parts):
        return f"名称过长（超过 {MAX_COMPONENT_BYTES} 字节）"
    if info.flag_bits & 0x1:
        return "已加密"
    if info.file_size > CHUNK and info.file_size > limits.max_ratio * max(1, info.compress_size):
        return f"压缩比超过 {limits.max_ratio} 倍（疑似压缩炸弹）"
    return None
