"""A run of hostile uploads through the task page and the API: each is refused with a 4xx and
a Chinese reason, nothing is recorded, and `verify` then finds the store exactly as the
records say (nothing missing, corrupt, orphaned or left half-written)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.storage_samples import EXE, PDF
from tests.web_support import WebWorld, web, world_template

from obligations.evidence.storage import LocalBlobStore
from obligations.models import EvidenceRecord
from obligations.safety.verify import verify
from obligations.scratch import scratch_dir

__all__ = ["web", "world_template"]

FIELDS = {"title": "十月支部党员大会", "held_on": "2026-10-20", "kind": "minutes"}
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
ZIP_TRAVERSAL = b"PK\x03\x04" + b"\x00" * 26 + b"../../evil.sh"

# (file name, content): every one must be refused.
HOSTILE = [
    ("记录.pdf", EXE),  # an executable named as a PDF
    ("记录.pdf", HTML),  # a page with a script named as a PDF
    ("记录.pdf", b""),  # empty
    ("记录.pdf", b"%PD"),  # a truncated header
    ("记录.pdf", PDF + b"0" * (1024 * 1024 + 10)),  # over the 1 MB limit of the test app
    ("../../etc/passwd.pdf", PDF),
    ("..", PDF),
    ("记录\u202efdp.exe", PDF),  # right-to-left override hides the real extension
    ("记录\x1b[31m.pdf", PDF),
    ("x" * 300 + ".pdf", PDF),
    ("党" * 90 + ".pdf", PDF),  # 90 characters, 274 bytes: over what a file system keeps
    ("/etc/cron.d/job.pdf", PDF),
    ("记录.pdf", ZIP_TRAVERSAL),  # a damaged archive claiming a path outside
]


# File names as raw bytes in the part header, which no client library would send as they are
# (httpx writes a NUL as "%00", and a Windows path is cut to its last part by the parser).
RAW_NAMES = [b"\xe8\xae\xb0\x00.pdf", b"\xff\xfe.pdf", b"a\rContent-Type: text/html.pdf"]
BOUNDARY = "hostile-boundary"


def raw_body(fields: dict[str, str], raw_name: bytes) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f"--{BOUNDARY}\r\n".encode()
        + b'Content-Disposition: form-data; name="files"; filename="'
        + raw_name
        + b'"\r\nContent-Type: application/pdf\r\n\r\n'
        + PDF
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def records(web: WebWorld) -> int:
    with web.sessions() as db:
        return db.scalar(select(func.count()).select_from(EvidenceRecord)) or 0


@pytest.mark.parametrize("door", ["page", "api"])
def test_hostile_uploads_are_refused_and_verify_finds_the_store_clean(
    web: WebWorld, door: str
) -> None:
    task = web.ids["task_b1"]
    client, csrf = web.login("b1_secretary")
    if door == "api":
        client, csrf = web.api("b1_secretary"), ""
    url = f"/tasks/{task}/evidence" if door == "page" else f"/api/tasks/{task}/evidence"
    fields = FIELDS | ({"csrf_token": csrf} if door == "page" else {})
    before = records(web)

    answers = {
        name[:20] + repr(content[:4]): client.post(
            url, data=fields, files=[("files", (name, content, "application/pdf"))]
        )
        for name, content in HOSTILE
    }
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    for raw in RAW_NAMES:
        body = raw_body(fields, raw)
        answers[repr(raw)] = client.post(url, content=body, headers=headers)

    assert {k: r.status_code for k, r in answers.items() if not 400 <= r.status_code < 500} == {}
    assert all("Traceback" not in r.text for r in answers.values())
    assert records(web) == before
    store = LocalBlobStore(web.settings.evidence_dir)
    with web.sessions() as db:
        report = verify(db, store, now=web.clock[0], scratch=scratch_dir(web.settings.data_dir))
    assert report.ok and report.checked == sum(1 for _ in store.iter_blobs())
    assert (report.orphans_recent, report.orphans_removed, report.leftovers_removed) == ([], [], [])
    assert list((web.settings.evidence_dir / "tmp").glob("*")) == []
