"""File storage for evidence: content-addressed blobs, upload limits and file-name checks.

No database here: the evidence service records which task a blob belongs to.
"""

from obligations.evidence.storage.base import BlobStore, BlobWriter, Leftover, StoredBlob
from obligations.evidence.storage.copying import copy_verified, verified_chunks
from obligations.evidence.storage.errors import (
    BadFileName,
    BlobNotFound,
    EmptyFile,
    FileTooLarge,
    FileTypeRefused,
    StorageRefused,
)
from obligations.evidence.storage.limits import FileType, UploadLimits
from obligations.evidence.storage.local import LocalBlobStore
from obligations.evidence.storage.names import MAX_NAME_BYTES, clean_filename

__all__ = [
    "MAX_NAME_BYTES",
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
    "copy_verified",
    "verified_chunks",
]
