"""Handing stored content out (a download, ``evidence get``, an export, a bundle) only as it was
stored: the bytes are hashed as they are copied and checked against their name."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import IO

from obligations.errors import DataDamaged
from obligations.evidence.storage.base import CHUNK_BYTES, BlobStore


def damaged(sha256: str, name: str) -> DataDamaged:
    """The error for stored content ``sha256`` (the file ``name``) that no longer matches."""
    return DataDamaged(
        f"文件“{name}”的存储内容已损坏（校验值不符），未交付；"
        "请管理员运行 obligations verify 查看受影响的材料，并从备份恢复"
    )


def copy_verified(store: BlobStore, sha256: str, sink: IO[bytes], *, name: str) -> int:
    """Copy the content ``sha256`` into ``sink``; return its size in bytes.

    Raises :class:`~obligations.errors.DataDamaged` once the copied bytes turn out not to hash
    to ``sha256`` (the caller discards what it wrote: a temporary file, an archive being made),
    and ``BlobNotFound`` for content that is not stored."""
    digest = hashlib.sha256()
    size = 0
    with store.open(sha256) as source:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
            sink.write(chunk)
            size += len(chunk)
    if digest.hexdigest() != sha256:
        raise damaged(sha256, name)
    return size


def verified_chunks(store: BlobStore, sha256: str, *, name: str) -> Iterator[bytes]:
    """The content ``sha256`` in chunks, checked whole here, before any chunk is given (a web
    answer cannot be taken back once its body has started); raises ``DataDamaged``."""
    if not store.verify(sha256):
        raise damaged(sha256, name)
    return _chunks(store, sha256)


def _chunks(store: BlobStore, sha256: str) -> Iterator[bytes]:
    with store.open(sha256) as source:
        while chunk := source.read(CHUNK_BYTES):
            yield chunk
