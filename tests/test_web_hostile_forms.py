"""Hostile form posts: CSRF tokens that are empty, file parts without a name.

Each refusal leaves nothing behind: no session, no record, no stored object.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from tests.storage_samples import PDF
from tests.web_support import PASSWORD, WebWorld, web, world_template

from obligations.accounts.users import csrf_matches
from obligations.models import EvidenceFile, EvidenceRecord, WebSession

__all__ = ["web", "world_template"]

# -- CSRF: an empty token never matches ------------------------------------------------------

EMPTY_PAIRS = [("", ""), ("", None), (None, ""), (None, None), ("token", ""), ("", "token")]


@pytest.mark.parametrize(("expected", "given"), EMPTY_PAIRS)
def test_an_empty_or_missing_csrf_token_never_matches(
    expected: str | None, given: str | None
) -> None:
    assert csrf_matches(expected, given) is False


def test_the_same_nonempty_csrf_token_matches_and_another_does_not() -> None:
    assert csrf_matches("abc", "abc") is True
    assert csrf_matches("abc", "abd") is False


def sessions_count(web: WebWorld) -> int:
    with web.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(WebSession)) or 0)


@pytest.mark.parametrize(
    "extra",
    [{}, {"csrf_token": ""}],
    ids=["neither cookie nor field", "empty field, no cookie"],
)
def test_a_login_post_without_the_cookie_and_its_token_is_refused(
    web: WebWorld, extra: dict[str, str]
) -> None:
    before = sessions_count(web)
    response = web.client.post("/login", data={"username": "admin", "password": PASSWORD} | extra)
    assert response.status_code == 403 and "CSRF" in response.text
    assert "obl_session" not in response.cookies
    assert sessions_count(web) == before


def test_a_login_post_with_an_empty_cookie_and_an_empty_field_is_refused(web: WebWorld) -> None:
    web.client.cookies.set("obl_login_csrf", "", path="/login")
    response = web.client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": ""}
    )
    assert response.status_code == 403
    assert "obl_session" not in response.cookies


def test_a_session_with_an_empty_csrf_token_accepts_no_form(web: WebWorld) -> None:
    """Whatever puts an empty token in a session row, an empty field does not match it: the
    plain forms (logout) and the streamed upload form share the one comparison."""
    client, _ = web.login("admin")
    with web.sessions.begin() as db:
        db.execute(update(WebSession).values(csrf_token=""))
    assert client.post("/logout", data={"csrf_token": ""}).status_code == 403
    upload = client.post(
        f"/tasks/{web.ids['task_b1']}/evidence",
        data={"csrf_token": "", "title": "支部党员大会", "held_on": "2026-10-20"},
        files=[("files", ("记录.pdf", PDF, "application/pdf"))],
    )
    assert upload.status_code == 403
    assert client.get("/my").status_code == 200  # the logout was refused: still signed in


# -- a file part with content but no name ----------------------------------------------------


def counts(web: WebWorld) -> tuple[int, int]:
    with web.sessions() as db:
        records = db.scalar(select(func.count()).select_from(EvidenceRecord))
        files = db.scalar(select(func.count()).select_from(EvidenceFile))
    return int(records or 0), int(files or 0)


def stored_objects(web: WebWorld) -> set[str]:
    root = web.settings.evidence_dir
    return {p.name for p in (root / "objects").rglob("*") if p.is_file()} | {
        p.name for p in (root / "tmp").iterdir()
    }


BOUNDARY = "hostile-boundary-7f3a"
FIELDS = {"title": "支部党员大会", "held_on": "2026-10-20"}


def part(headers: str, content: bytes) -> bytes:
    return f"--{BOUNDARY}\r\n{headers}\r\n\r\n".encode() + content + b"\r\n"


def multipart_body(fields: dict[str, str], *files: bytes) -> bytes:
    """A raw multipart body (clients such as httpx leave out an empty file name)."""
    text = [
        part(f'Content-Disposition: form-data; name="{k}"', v.encode()) for k, v in fields.items()
    ]
    return b"".join([*text, *files]) + f"--{BOUNDARY}--\r\n".encode()


NAMED = part(
    'Content-Disposition: form-data; name="files"; filename="记录.pdf"\r\n'
    "Content-Type: application/pdf",
    PDF,
)
NAMELESS_PARTS = {
    "empty file name": [part('Content-Disposition: form-data; name="files"; filename=""', PDF)],
    "no file name, a file's type": [
        part('Content-Disposition: form-data; name="files"\r\nContent-Type: application/pdf', PDF)
    ],
    "after a named file": [
        NAMED,
        part('Content-Disposition: form-data; name="files"; filename=""', PDF + b"2"),
    ],
}
CONTENT_TYPE = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


@pytest.mark.parametrize("files", NAMELESS_PARTS.values(), ids=NAMELESS_PARTS.keys())
def test_a_file_part_with_content_and_no_name_is_refused_by_the_page(
    web: WebWorld, files: list[bytes]
) -> None:
    client, csrf = web.login("b1_secretary")
    before, objects = counts(web), stored_objects(web)
    response = client.post(
        f"/tasks/{web.ids['task_b1']}/evidence",
        content=multipart_body({"csrf_token": csrf} | FIELDS, *files),
        headers=CONTENT_TYPE,
    )
    assert response.status_code == 400 and "没有文件名" in response.text
    assert counts(web) == before and stored_objects(web) == objects


@pytest.mark.parametrize("files", NAMELESS_PARTS.values(), ids=NAMELESS_PARTS.keys())
def test_a_file_part_with_content_and_no_name_is_refused_by_the_api(
    web: WebWorld, files: list[bytes]
) -> None:
    client = web.api("b1_secretary")
    before, objects = counts(web), stored_objects(web)
    response = client.post(
        f"/api/tasks/{web.ids['task_b1']}/evidence",
        content=multipart_body(FIELDS, *files),
        headers=CONTENT_TYPE,
    )
    assert response.status_code == 400 and "没有文件名" in response.json()["detail"]
    assert counts(web) == before and stored_objects(web) == objects


def test_a_file_input_left_empty_is_no_file_at_all_and_the_task_asks_for_one(
    web: WebWorld,
) -> None:
    """What a browser sends for an empty file input (no name, no bytes) is no file at all (not
    an empty file): the task's rule requires one, so nothing is recorded."""
    client, csrf = web.login("b1_secretary")
    records, files = counts(web)
    response = client.post(
        f"/tasks/{web.ids['task_b1']}/evidence",
        content=multipart_body(
            {"csrf_token": csrf} | FIELDS,
            part(
                'Content-Disposition: form-data; name="files"; filename=""\r\n'
                "Content-Type: application/octet-stream",
                b"",
            ),
        ),
        headers=CONTENT_TYPE,
    )
    assert response.status_code == 400, response.text[:300]
    assert "该任务须附佐证材料文件" in response.text and "为空" not in response.text
    assert counts(web) == (records, files)
