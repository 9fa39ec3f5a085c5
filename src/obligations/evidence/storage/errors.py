"""Refusals of an upload and missing objects. Messages are Simplified Chinese."""

from __future__ import annotations

from obligations.errors import InvalidRequest, NotFound


class StorageRefused(InvalidRequest):
    """An upload the store will not keep; nothing of it is left behind."""


class FileTooLarge(StorageRefused):
    """Past the size limit (the web answers 413)."""


class EmptyFile(StorageRefused):
    pass


class FileTypeRefused(StorageRefused):
    """The content is of a type that is not allowed, or of no type we can recognise."""


class BadFileName(StorageRefused):
    pass


class BlobNotFound(NotFound):
    pass
