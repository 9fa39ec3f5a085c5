"""File storage for evidence: content-addressed blobs, upload limits and file-name checks.

No database here: the evidence service records which task a blob belongs to.
"""

from obligations.storage.base import BlobStore, BlobWriter, Leftover, StoredBlob
from obligations.storage.errors import (
    BadFileName,
    BlobNotFound,
    EmptyFile,
    FileTooLarge,
    FileTypeRefused,
    StorageRefused,
)
from obligations.storage.limits import FileType, UploadLimits
from obligations.storage.local import LocalBlobStore
from obligations.storage.names import MAX_NAME_LENGTH, clean_filename

__all__ = [
    "MAX_NAME_LENGTH",
    "BadFileName",
    "BlobNotFound",
    "BlobStore",
    "BlobWriter",
    "EmptyFile",
    "FileTooLarge",
    "FileType",
    "FileTypeRefused",
    "Leftover",
    "LocalBlobStore",
    "StorageRefused",
    "StoredBlob",
    "UploadLimits",
    "clean_filename",
]
