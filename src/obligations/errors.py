"""Errors the service layer raises for the edges to report. Messages are Simplified Chinese."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager


class ServiceError(Exception):
    """Base: a request the service refuses, with a message a user can act on."""


class NotFound(ServiceError):
    pass


class InvalidRequest(ServiceError):
    pass


class AlreadyRecorded(InvalidRequest):
    """The request repeats what is already recorded (the same files on the same task): the web
    answers 409 Conflict, the CLI exits 2."""


class ServerFault(ServiceError):
    """A request that fails for a reason on the server's side which no change of input helps
    (a full disk, a damaged stored file): the CLI exits 1, the web answers 5xx."""


class DataDamaged(ServerFault):
    """Stored content no longer matches its checksum: it is never handed out (the web answers
    500 with this message); ``obligations verify`` lists it and a backup restores it."""


class OutOfSpace(ServerFault):
    """The server's disk (or the user's quota on it) is full: nothing of the request was kept,
    and only an administrator making room helps. Not the user's error: the web answers 507
    Insufficient Storage, the CLI exits 1."""


OUT_OF_SPACE = (
    "服务器存储空间不足，文件未能保存，本次未登记任何内容。请联系管理员清理磁盘空间后重试"
)


def is_out_of_space(exc: OSError) -> bool:
    """Whether ``exc`` says the disk or the quota is full (ENOSPC, EDQUOT)."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


@contextmanager
def full_disk_refused() -> Iterator[None]:
    """Inside: a full disk (or quota) raises :class:`OutOfSpace`; other OS errors pass as
    they are. The caller removes what it had begun writing."""
    try:
        yield
    except OSError as exc:
        if is_out_of_space(exc):
            raise OutOfSpace(OUT_OF_SPACE) from exc
        raise


_OS_ERRORS = {
    errno.ENOENT: "目录或文件不存在",
    errno.EACCES: "没有读写权限",
    errno.EPERM: "操作不被允许（权限不足）",
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "磁盘配额已用完",
    errno.EISDIR: "这是一个目录，请给出文件名",
    errno.ENOTDIR: "路径中有一部分不是目录",
    errno.ENAMETOOLONG: "文件名过长（超过 255 字节），请缩短",
    errno.EROFS: "所在磁盘为只读",
    errno.EEXIST: "文件已存在",
    errno.EMFILE: "打开的文件过多，请稍后重试",
    errno.EIO: "磁盘读写出错",
}


def os_error_text(exc: OSError) -> str:
    """The reason an OS error gives, in Chinese, for any message about reading or writing a
    file (ENOENT 目录或文件不存在, EACCES 没有读写权限, ENOSPC 磁盘空间不足, EISDIR 是目录 …);
    an errno not listed gives a generic reason with its number, never the English text."""
    known = _OS_ERRORS.get(exc.errno) if exc.errno is not None else None
    if known is not None:
        return known
    return f"系统错误（错误号 {exc.errno}）" if exc.errno is not None else "系统错误"


def database_unreachable(data_dir: object) -> str:
    """The message for a database that cannot be opened (a lost file, no permission, a server
    that does not answer)."""
    return (
        f"无法打开数据库（数据目录 {data_dir}）：请确认数据目录存在、可读写，"
        "数据库服务（如使用 PostgreSQL）正在运行"
    )
