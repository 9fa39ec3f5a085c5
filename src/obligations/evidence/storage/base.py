"""The blob store interface: content-addressed objects named by their SHA-256.

Callers see digests, never paths, so a store on S3-compatible object storage can replace the
local one without touching them.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import BinaryIO, Self

from obligations.evidence.storage.limits import MIB, FileType, UploadLimits

CHUNK_BYTES = 1 * MIB
_DIGEST = re.compile(r"[0-9a-f]{64}")


def check_digest(sha256: str) -> str:
    """The digest if it is 64 lowercase hex digits; anything else is a caller's mistake."""
    if not _DIGEST.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    file_type: FileType
    already_stored: bool  # identical content was there before; nothing new was written

    @property
    def media_type(self) -> str:
        return self.file_type.media_type

    @property
    def extension(self) -> str:
        return self.file_type.value


@dataclass(frozen=True)
class Leftover:
    """A temporary file removed by ``sweep_leftovers``."""

    name: str
    size: int
    modified: datetime


InUse = Callable[[str], bool]
"""Whether a committed record refers to the object of this digest (asked by the caller's
database)."""


class BlobWriter(ABC):
    """One upload in progress: ``write`` chunks, then ``commit``.

    A refusal raised by ``write`` or ``commit`` has already removed everything written. Once
    committed, the writer *holds* the object (whether it wrote it or found it there) until
    ``release`` or ``withdraw``: while any writer holds an object, no ``withdraw`` or
    ``discard`` removes it, so a record about to refer to it can be committed safely. Used as a
    context manager, leaving the block aborts an unfinished upload and releases a committed one.
    """

    @abstractmethod
    def write(self, chunk: bytes) -> None: ...

    @abstractmethod
    def commit(self) -> StoredBlob: ...

    @abstractmethod
    def abort(self) -> None:
        """Drop what was written, or release the object once committed; safe to call more than
        once."""

    @abstractmethod
    def release(self) -> None:
        """Stop holding the committed object (its record is committed, or it was there before);
        safe to call more than once."""

    @abstractmethod
    def withdraw(self, in_use: InUse) -> bool:
        """Remove the committed object this writer wrote, unless another writer holds it or
        ``in_use`` says a record refers to it; released either way. True if removed."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.abort()


class BlobStore(ABC):
    def put(self, stream: BinaryIO, *, limits: UploadLimits, filename: str) -> StoredBlob:
        """Store everything ``stream`` gives, or raise ``StorageRefused`` leaving nothing behind.

        ``filename`` is the (cleaned) original name: it appears in messages and chooses between
        doc and xls once the content has proved to be one of them. Reading stops as soon as the
        upload is known to be refused.

        The object is not held once this returns: a caller that records it uses ``begin``
        (see :mod:`obligations.evidence.intake`).
        """
        with self.begin(limits=limits, filename=filename) as writer:
            while chunk := stream.read(CHUNK_BYTES):
                writer.write(chunk)
            return writer.commit()

    @abstractmethod
    def begin(self, *, limits: UploadLimits, filename: str) -> BlobWriter:
        """Start an upload fed chunk by chunk (e.g. from a multipart parser's callbacks)."""

    @abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """The object for reading; ``BlobNotFound`` if there is none."""

    @abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abstractmethod
    def iter_blobs(self) -> Iterator[str]:
        """The digest of every stored object, in digest order."""

    @abstractmethod
    def verify(self, sha256: str) -> bool:
        """Whether the object's content still hashes to its name; ``BlobNotFound`` if missing."""

    @abstractmethod
    def stored_at(self, sha256: str) -> datetime:
        """When the object was written (UTC); ``BlobNotFound`` if missing."""

    @abstractmethod
    def discard(self, sha256: str) -> bool:
        """Remove an object no record refers to (the caller checks that); False if absent or
        held by an upload about to record it.

        Used by ``verify`` for orphans left by a process killed between storing and recording
        (an upload undoes its own objects with ``BlobWriter.withdraw``)."""

    @abstractmethod
    def sweep_leftovers(self, *, older_than: timedelta, now: datetime) -> list[Leftover]:
        """Remove temporary files of uploads that were killed, untouched since before
        ``now - older_than``; an upload still in progress keeps touching its file."""
