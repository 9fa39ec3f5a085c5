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
