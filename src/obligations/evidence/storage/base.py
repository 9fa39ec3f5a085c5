"""The blob store interface: content-addressed objects named by their SHA-256.

Callers see digests, never paths, so a store on S3-compatible object storage can replace the
local one without touching them.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
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


class BlobWriter(ABC):
    """One upload in progress: ``write`` chunks, then ``commit``.

    A refusal raised by ``write`` or ``commit`` has already removed everything written. Used as a
    context manager, leaving the block without a commit aborts the upload.
    """

    @abstractmethod
    def write(self, chunk: bytes) -> None: ...

    @abstractmethod
    def commit(self) -> StoredBlob: ...

    @abstractmethod
    def abort(self) -> None:
        """Drop what was written; safe to call more than once and after a commit."""

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
        """Remove an object no record refers to (the caller checks that); False if absent.

        Used to undo the blobs of an upload refused after they were written, and by
        ``verify`` for orphans left by a process killed between storing and recording."""

    @abstractmethod
    def sweep_leftovers(self, *, older_than: timedelta, now: datetime) -> list[Leftover]:
        """Remove temporary files of uploads that were killed, untouched since before
        ``now - older_than``; an upload still in progress keeps touching its file."""
