"""The local blob store: content-addressed, checked while streaming, nothing left on refusal."""

from __future__ import annotations

import hashlib
import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import filetype  # type: ignore[import-untyped]
import pytest
from tests import storage_samples as samples

from obligations.errors import InvalidRequest, NotFound
from obligations.evidence.storage import (
    BlobNotFound,
    EmptyFile,
    FileTooLarge,
    FileType,
    FileTypeRefused,
    LocalBlobStore,
    StorageRefused,
    UploadLimits,
)
from obligations.evidence.storage.detect import HEAD_BYTES

MIB = 1024 * 1024
NOW = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
LIMITS = UploadLimits()


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def leftovers(store: LocalBlobStore) -> list[Path]:
    """Every file under the store's root: temporary files and objects alike."""
    return sorted(p for p in store.root.rglob("*") if p.is_file())


def object_path(store: LocalBlobStore, sha256: str) -> Path:
    return store.root / "objects" / sha256[:2] / sha256[2:4] / sha256


class CountingStream(io.RawIOBase):
    """``size`` bytes starting with ``head``, counting how much was read."""

    def __init__(self, head: bytes, size: int) -> None:
        self.head = head
        self.size = size
        self.given = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.given if n < 0 else min(n, self.size - self.given)
        start = self.given
        self.given += n
        prefix = self.head[start : start + n]
        return prefix + b"\x00" * (n - len(prefix))


def test_it_gives_back_the_bytes_it_stored(store: LocalBlobStore) -> None:
    blob = store.put(io.BytesIO(samples.PDF), limits=LIMITS, filename="报告.pdf")
    assert blob.sha256 == hashlib.sha256(samples.PDF).hexdigest()
    assert blob.size == len(samples.PDF)
    assert (blob.file_type, blob.media_type) == (FileType.PDF, "application/pdf")
    assert not blob.already_stored
    assert store.exists(blob.sha256)
    with store.open(blob.sha256) as content:
        assert content.read() == samples.PDF
    assert list(store.iter_blobs()) == [blob.sha256]
    assert store.verify(blob.sha256)


def test_identical_content_is_stored_once(store: LocalBlobStore) -> None:
    first = store.put(io.BytesIO(samples.PDF), limits=LIMITS, filename="报告.pdf")
    second = store.put(io.BytesIO(samples.PDF), limits=LIMITS, filename="报告（副本）.pdf")
    assert second.sha256 == first.sha256
    assert second.already_stored
    assert leftovers(store) == [object_path(store, first.sha256)]


def test_objects_are_written_read_only(store: LocalBlobStore) -> None:
    blob = store.put(io.BytesIO(samples.PDF), limits=LIMITS, filename="报告.pdf")
    assert object_path(store, blob.sha256).stat().st_mode & 0o777 == 0o444


def test_iter_blobs_lists_every_object_in_digest_order(store: LocalBlobStore) -> None:
    contents = [samples.PDF, samples.png(), samples.JPEG]
    digests = [
        store.put(io.BytesIO(c), limits=LIMITS, filename=f"{i}").sha256
        for i, c in enumerate(contents)
    ]
    assert list(store.iter_blobs()) == sorted(digests)


@pytest.mark.parametrize(
    ("build", "file_type"),
    [
        (lambda: samples.PDF, FileType.PDF),
        (samples.png, FileType.PNG),
        (lambda: samples.JPEG, FileType.JPG),
        (lambda: samples.HEIC, FileType.HEIC),
        (lambda: samples.MP4, FileType.MP4),
        (samples.plain_zip, FileType.ZIP),
        (samples.word_document, FileType.DOCX),
        (samples.workbook, FileType.XLSX),
    ],
    ids=lambda value: getattr(value, "value", ""),
)
def test_the_type_comes_from_the_content_not_the_name(
    store: LocalBlobStore, build: Callable[[], bytes], file_type: FileType
) -> None:
    blob = store.put(io.BytesIO(build()), limits=LIMITS, filename="未命名")
    assert blob.file_type is file_type
    assert blob.extension == file_type.value


def test_a_docx_whose_first_entries_are_large_is_still_a_docx(store: LocalBlobStore) -> None:
    content = samples.word_document_with_large_first_entry()
    # filetype alone, reading the first bytes, takes it for a plain zip.
    assert filetype.guess(content[:HEAD_BYTES]).extension == "zip"
    blob = store.put(io.BytesIO(content), limits=LIMITS, filename="总结.docx")
    assert blob.file_type is FileType.DOCX


@pytest.mark.parametrize(("filename", "file_type"), [("记录.DOC", "doc"), ("名册.xls", "xls")])
def test_legacy_office_files_are_told_apart_by_extension_once_the_content_is_ole2(
    store: LocalBlobStore, filename: str, file_type: str
) -> None:
    blob = store.put(io.BytesIO(samples.OLE2), limits=LIMITS, filename=filename)
    assert blob.file_type == file_type


def test_ole2_content_named_otherwise_is_refused(store: LocalBlobStore) -> None:
    with pytest.raises(FileTypeRefused, match="Office 97-2003"):
        store.put(io.BytesIO(samples.OLE2), limits=LIMITS, filename="报告.pdf")
    assert leftovers(store) == []


def test_an_exe_named_pdf_is_refused_naming_the_real_type_and_the_allowed_list(
    store: LocalBlobStore,
) -> None:
    with pytest.raises(FileTypeRefused) as refused:
        store.put(io.BytesIO(samples.EXE), limits=LIMITS, filename="报告.pdf")
    allowed = "pdf、docx、xlsx、doc、xls、jpg、png、heic、mp4、zip"
    assert str(refused.value) == f"文件“报告.pdf”的实际类型为 exe，只允许：{allowed}"
    assert leftovers(store) == []


def test_unrecognisable_content_is_refused(store: LocalBlobStore) -> None:
    expected = re.escape("无法识别文件“说明.pdf”的实际类型，只允许：pdf")
    with pytest.raises(FileTypeRefused, match=expected):
        store.put(io.BytesIO("只是一段文字".encode()), limits=LIMITS, filename="说明.pdf")


def test_a_type_left_out_of_the_limits_is_refused(store: LocalBlobStore) -> None:
    limits = UploadLimits(allowed=(FileType.PDF, FileType.JPG))
    with pytest.raises(FileTypeRefused, match=r"实际类型为 docx，只允许：pdf、jpg$"):
        store.put(io.BytesIO(samples.word_document()), limits=limits, filename="总结.docx")
    assert leftovers(store) == []


def test_a_broken_zip_is_refused(store: LocalBlobStore) -> None:
    truncated = samples.word_document()[:-200]
    with pytest.raises(FileTypeRefused, match="损坏的 ZIP 压缩文件"):
        store.put(io.BytesIO(truncated), limits=LIMITS, filename="总结.docx")
    assert leftovers(store) == []


def test_an_empty_file_is_refused(store: LocalBlobStore) -> None:
    with pytest.raises(EmptyFile, match=re.escape("文件“空.pdf”为空")):
        store.put(io.BytesIO(b""), limits=LIMITS, filename="空.pdf")
    assert leftovers(store) == []


def test_a_file_over_the_limit_is_refused_mid_stream_leaving_nothing(
    store: LocalBlobStore,
) -> None:
    stream = CountingStream(samples.PDF, 10 * MIB)
    with pytest.raises(FileTooLarge, match=re.escape("文件“大.pdf”超过大小上限 2 MB")):
        store.put(stream, limits=UploadLimits(max_bytes=2 * MIB), filename="大.pdf")  # type: ignore[arg-type]
    assert stream.given == 3 * MIB  # stopped at the first chunk past the limit
    assert leftovers(store) == []


def test_a_file_of_exactly_the_limit_is_kept(store: LocalBlobStore) -> None:
    stream = CountingStream(samples.PDF, 2 * MIB)
    blob = store.put(stream, limits=UploadLimits(max_bytes=2 * MIB), filename="大.pdf")  # type: ignore[arg-type]
    assert blob.size == 2 * MIB


def test_a_refused_type_stops_reading_after_the_first_chunk(store: LocalBlobStore) -> None:
    stream = CountingStream(samples.EXE, 10 * MIB)
    with pytest.raises(FileTypeRefused):
        store.put(stream, limits=LIMITS, filename="安装包.pdf")  # type: ignore[arg-type]
    assert stream.given == MIB
    assert leftovers(store) == []


def test_the_default_limit_is_50_mb(store: LocalBlobStore) -> None:
    stream = CountingStream(samples.PDF, 50 * MIB + 1)
    with pytest.raises(FileTooLarge, match=r"超过大小上限 50 MB$"):
        store.put(stream, limits=UploadLimits(), filename="录像.pdf")  # type: ignore[arg-type]
    assert leftovers(store) == []


def test_limits_name_an_unknown_type() -> None:
    with pytest.raises(ValueError, match="unknown file type 'exe'"):
        UploadLimits(allowed=("pdf", "exe"))  # type: ignore[arg-type]


def test_refusals_are_invalid_requests_and_a_missing_object_is_not_found() -> None:
    assert issubclass(StorageRefused, InvalidRequest)
    assert issubclass(BlobNotFound, NotFound)


def test_a_writer_left_without_a_commit_removes_its_temporary_file(store: LocalBlobStore) -> None:
    with store.begin(limits=LIMITS, filename="报告.pdf") as writer:
        writer.write(samples.PDF)
        assert len(leftovers(store)) == 1
    assert leftovers(store) == []


def test_chunks_fed_one_by_one_make_the_same_object(store: LocalBlobStore) -> None:
    content = samples.word_document()
    with store.begin(limits=LIMITS, filename="总结.docx") as writer:
        for start in range(0, len(content), 1000):
            writer.write(content[start : start + 1000])
        blob = writer.commit()
    assert blob.sha256 == hashlib.sha256(content).hexdigest()
    assert blob.file_type is FileType.DOCX


def test_verify_detects_a_corrupted_object(store: LocalBlobStore) -> None:
    blob = store.put(io.BytesIO(samples.PDF), limits=LIMITS, filename="报告.pdf")
    path = object_path(store, blob.sha256)
    path.chmod(0o644)
    damaged = bytearray(path.read_bytes())
    damaged[20] ^= 0x01
    path.write_bytes(bytes(damaged))
    assert not store.verify(blob.sha256)


def test_a_missing_object_is_not_found(store: LocalBlobStore) -> None:
    missing = "0" * 64
    assert not store.exists(missing)
    with pytest.raises(BlobNotFound, match="不存在"):
        store.open(missing)
    with pytest.raises(BlobNotFound):
        store.verify(missing)


@pytest.mark.parametrize("digest", ["../../etc/passwd", "ABCD" * 16, "0" * 63])
def test_a_malformed_digest_is_a_programming_error(store: LocalBlobStore, digest: str) -> None:
    with pytest.raises(ValueError, match="not a SHA-256"):
        store.open(digest)


def test_sweep_removes_only_old_temporary_files(store: LocalBlobStore) -> None:
    kept = store.put(io.BytesIO(samples.PDF), limits=LIMITS, filename="报告.pdf")
    tmp = store.root / "tmp"
    for name, age in [("upload-old.part", timedelta(hours=2)), ("upload-new.part", timedelta(0))]:
        (tmp / name).write_bytes(samples.PDF)  # as left by killed uploads
        stamp = (NOW - age).timestamp()
        os.utime(tmp / name, (stamp, stamp))
    removed = store.sweep_leftovers(older_than=timedelta(hours=1), now=NOW)
    assert [(r.name, r.size, r.modified) for r in removed] == [
        ("upload-old.part", len(samples.PDF), NOW - timedelta(hours=2))
    ]
    assert leftovers(store) == sorted([tmp / "upload-new.part", object_path(store, kept.sha256)])


def test_sweep_wants_an_aware_now(store: LocalBlobStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.sweep_leftovers(older_than=timedelta(hours=1), now=datetime(2025, 6, 1))  # noqa: DTZ001


CRASHING_UPLOAD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from obligations.evidence.storage import LocalBlobStore, UploadLimits

    MIB = 1024 * 1024
    block = os.urandom(MIB)

    class SlowStream:
        def __init__(self):
            self.given = 0

        def read(self, n):
            if self.given >= 200 * MIB:
                return b""
            time.sleep(0.01)
            chunk = b"%PDF-1.7\\n" + block[9:] if self.given == 0 else block
            self.given += len(chunk)
            return chunk

    store = LocalBlobStore(Path(sys.argv[1]))
    store.put(SlowStream(), limits=UploadLimits(max_bytes=1024 * MIB), filename="录像.pdf")
    print("finished")
    """
)


def test_an_upload_killed_mid_write_leaves_only_a_temporary_file_that_sweep_removes(
    store: LocalBlobStore,
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_UPLOAD, str(store.root)], stdout=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while not any(p.stat().st_size >= 8 * MIB for p in leftovers(store)):
            assert child.poll() is None, "the upload ended before it could be killed"
            assert time.monotonic() < deadline, "the upload never got going"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        stdout, _ = child.communicate()
    assert child.returncode == -signal.SIGKILL
    assert stdout == b""

    [temporary] = leftovers(store)
    assert temporary.parent == store.root / "tmp"
    partial = hashlib.sha256(temporary.read_bytes()).hexdigest()
    assert not store.exists(partial)
    assert list(store.iter_blobs()) == []

    later = datetime.now(UTC) + timedelta(minutes=2)
    [removed] = store.sweep_leftovers(older_than=timedelta(minutes=1), now=later)
    assert removed.name == temporary.name
    assert leftovers(store) == []
