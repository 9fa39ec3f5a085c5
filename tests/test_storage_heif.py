"""Phone photos: every HEVC-coded HEIF brand, major or only compatible, is stored as heic."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from obligations.evidence.storage import LocalBlobStore
from obligations.evidence.storage.detect import sniff_head
from obligations.evidence.storage.errors import FileTypeRefused
from obligations.evidence.storage.limits import FileType, UploadLimits

LIMITS = UploadLimits()


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    """An ``ftyp`` box as phones write it, followed by the start of a ``meta`` box."""
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (len(body) + 8).to_bytes(4, "big") + b"ftyp" + body + b"\x00\x00\x00\x22meta" + bytes(64)


PHONE_PHOTOS = {
    "iPhone HEIC": ftyp(b"heic", b"mif1", b"miaf", b"MiHB", b"heic"),
    "iPhone 10-bit HEIC": ftyp(b"heix", b"mif1", b"heix"),
    "multi-layer": ftyp(b"heim", b"mif1", b"heim"),
    "scalable": ftyp(b"heis", b"mif1", b"heis"),
    "burst sequence": ftyp(b"hevc", b"msf1", b"hevc"),
    "10-bit sequence": ftyp(b"hevx", b"msf1", b"hevx"),
    "multi-layer sequence": ftyp(b"hevm", b"msf1", b"hevm"),
    "scalable sequence": ftyp(b"hevs", b"msf1", b"hevs"),
    "mif1 listing heic": ftyp(b"mif1", b"mif1", b"heic"),
    "mif1 listing heix only": ftyp(b"mif1", b"mif1", b"heix"),
    "msf1 listing hevc": ftyp(b"msf1", b"msf1", b"hevc"),
    "Xiaomi MiHE listing heic": ftyp(b"MiHE", b"MiHE", b"miaf", b"MiHB", b"heic"),
    "miaf listing heix": ftyp(b"miaf", b"miaf", b"heix"),
}


@pytest.mark.parametrize("name", sorted(PHONE_PHOTOS))
def test_every_heif_brand_phones_write_is_a_heic(name: str, tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    blob = store.put(io.BytesIO(PHONE_PHOTOS[name]), limits=LIMITS, filename="IMG_0001.HEIC")
    assert blob.file_type is FileType.HEIC


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (ftyp(b"isom", b"isom", b"mp41"), "mp4"),
        (ftyp(b"avif", b"mif1", b"avif", b"miaf"), "avif"),
        (ftyp(b"mif1", b"mif1", b"avif"), "avif"),
    ],
)
def test_other_iso_media_files_are_not_taken_for_heic(content: bytes, expected: str) -> None:
    assert sniff_head(content, "heic") == expected


def test_an_avif_photo_is_still_refused_as_avif(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    with pytest.raises(FileTypeRefused, match="avif"):
        store.put(io.BytesIO(ftyp(b"avif", b"mif1", b"avif")), limits=LIMITS, filename="a.heic")
