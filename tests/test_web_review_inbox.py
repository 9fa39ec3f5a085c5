"""The review inbox in the pages: who opens it, the count in the header, deciding in place,
a return without a reason shown on its row (never a bare error page), CSRF."""

from __future__ import annotations

import re

import lxml.html
import pytest
from sqlalchemy import func, select
from tests.web_support import WebWorld, web, world_template

from obligations.models import AuditEntry, EvidenceRecord
from obligations.vocabulary import ReviewState

__all__ = ["web", "world_template"]


def state(web: WebWorld, name: str) -> tuple[ReviewState, str | None]:
    with web.sessions() as db:
        record = db.get(EvidenceRecord, web.ids[name])
        assert record is not None
        return record.review_state, record.review_reason


def audits(web: WebWorld) -> int:
    with web.sessions() as db:
        return db.scalar(select(func.count()).select_from(AuditEntry)) or 0


def parse(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)


def found(tree: lxml.html.HtmlElement, xpath: str) -> lxml.html.HtmlElement | None:
    """The first element at ``xpath``, or None."""
    hits = tree.xpath(xpath)
    return hits[0] if hits else None


def text(element: lxml.html.HtmlElement | None) -> str:
    assert element is not None
    return " ".join(element.text_content().split())


def header_count(html: str) -> int | None:
    badge = found(parse(html), "//header//a[@class='review-count']")
    if badge is None:
        return None
    assert badge.get("href") == "/review"
    match = re.fullmatch(r"待审核 (\d+)", text(badge))
    assert match, text(badge)
    return int(match[1])


ROWS = "//article[contains(@class, 'inbox-row')]"
SELECTED_UNIT = "//select[@name='unit']/option[@selected]"


@pytest.mark.parametrize(
    ("user", "status", "count"),
    [("admin", 200, 2), ("u01_manager", 200, 1), ("u02_manager", 200, 1),
     ("b1_secretary", 403, None), ("viewer_all", 403, None), ("u01_viewer", 403, None)],
)  # fmt: skip
def test_reviewers_open_the_inbox_and_see_their_count_in_the_header(
    web: WebWorld, user: str, status: int, count: int | None
) -> None:
    client, _ = web.login(user)
    response = client.get("/review")
    assert response.status_code == status
    assert header_count(client.get("/my").text) == count
    if status == 200:
        tree = parse(response.text)
        assert text(found(tree, "//title")).startswith("待审核材料")
        assert len(tree.xpath(ROWS)) == count
        assert header_count(response.text) == count


def test_a_unit_manager_sees_only_their_units_record_named_not_numbered(web: WebWorld) -> None:
    client, _ = web.login("u01_manager")
    (row,) = parse(client.get("/review").text).xpath(ROWS)
    assert row.get("id") == f"record-{web.ids['rec_b1']}"
    facts = text(found(row, ".//dl"))
    assert "U01-B01" in facts and "2026年" in facts and "会议记录" in text(row)
    assert str(web.ids["task_b1_open"]) not in facts  # names, not ids
    assert found(row, f".//a[@href='/tasks/{web.ids['task_b1_open']}']") is not None
    link = found(row, f".//a[@href='/evidence/{web.ids['rec_b1']}/files/1']")
    assert text(link) == "支部党员大会记录.pdf"
    assert client.get(f"/evidence/{web.ids['rec_b1']}/files/1").status_code == 200
    assert client.get("/review?unit=U02").status_code == 404


def test_an_administrator_filters_the_inbox_by_unit(web: WebWorld) -> None:
    client, _ = web.login("admin")
    tree = parse(client.get("/review?unit=U02").text)
    assert [a.get("id") for a in tree.xpath(ROWS)] == [f"record-{web.ids['rec_u02']}"]
    selected = found(tree, SELECTED_UNIT)
    assert selected is not None and selected.get("value") == "U02"


def test_accepting_in_place_returns_to_the_inbox_with_a_confirmation(web: WebWorld) -> None:
    client, csrf = web.login("admin")
    record = web.ids["rec_u02"]
    response = client.post(
        f"/review/{record}",
        data={"csrf_token": csrf, "decision": "accept", "unit": "U02", "page": "1"},
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/review?unit=U02&message=")
    assert state(web, "rec_u02") == (ReviewState.ACCEPTED, None)
    back = client.get(location)
    tree = parse(back.text)
    assert text(found(tree, "//p[@class='notice']")) == "已通过：会议记录"
    assert tree.xpath(ROWS) == [] and header_count(back.text) == 1


def test_returning_with_a_reason_takes_the_record_out_of_the_inbox(web: WebWorld) -> None:
    client, csrf = web.login("u01_manager")
    response = client.post(
        f"/review/{web.ids['rec_b1']}",
        data={"csrf_token": csrf, "decision": "reject", "reason": "缺少签到表"},
    )
    assert response.status_code == 303
    assert state(web, "rec_b1") == (ReviewState.REJECTED, "缺少签到表")
    assert header_count(client.get(response.headers["location"]).text) == 0


def test_returning_without_a_reason_shows_the_inbox_with_the_message_on_that_row(
    web: WebWorld,
) -> None:
    client, csrf = web.login("admin")
    before = audits(web)
    record = web.ids["rec_b1"]
    response = client.post(
        f"/review/{record}",
        data={"csrf_token": csrf, "decision": "reject", "reason": "  ", "unit": "U01"},
    )
    assert response.status_code == 400
    tree = parse(response.text)
    assert found(tree, "//header//nav") is not None  # inside the layout, menu and all
    row = found(tree, f"//article[@id='record-{record}']")
    assert row is not None
    assert "退回原因" in text(found(row, ".//p[@class='error'][@role='alert']"))
    field = found(row, ".//textarea[@name='reason']")
    assert field is not None and field.get("aria-invalid") == "true"
    assert state(web, "rec_b1") == (ReviewState.PENDING, None) and audits(web) == before
    selected = found(tree, SELECTED_UNIT)
    assert selected is not None and selected.get("value") == "U01"  # the filter kept


def test_a_record_decided_meanwhile_is_not_decided_again_from_a_stale_inbox(
    web: WebWorld,
) -> None:
    admin, admin_csrf = web.login("admin")
    manager, manager_csrf = web.login("u01_manager")
    record = web.ids["rec_b1"]
    first = {"csrf_token": admin_csrf, "decision": "reject", "reason": "缺照片"}
    assert admin.post(f"/review/{record}", data=first).status_code == 303
    late = manager.post(f"/review/{record}", data={"csrf_token": manager_csrf,
                                                   "decision": "accept"})  # fmt: skip
    assert late.status_code == 400
    assert "已经审核（已退回）" in text(found(parse(late.text), "//main//p[@class='error']"))
    assert state(web, "rec_b1") == (ReviewState.REJECTED, "缺照片")


@pytest.mark.parametrize("token", ["", "forged"])
def test_a_decision_without_the_sessions_csrf_token_is_refused(web: WebWorld, token: str) -> None:
    client, _ = web.login("admin")
    before = audits(web)
    response = client.post(
        f"/review/{web.ids['rec_b1']}", data={"csrf_token": token, "decision": "accept"}
    )
    assert response.status_code == 403
    assert state(web, "rec_b1") == (ReviewState.PENDING, None) and audits(web) == before


def test_the_task_pages_review_form_keeps_the_page_when_a_reason_is_missing(
    web: WebWorld,
) -> None:
    client, csrf = web.login("u01_manager")
    record = web.ids["rec_b1"]
    response = client.post(
        f"/evidence/{record}/review", data={"csrf_token": csrf, "decision": "reject"}
    )
    assert response.status_code == 400
    tree = parse(response.text)
    assert found(tree, "//header//nav") is not None
    assert found(tree, "//form[@id='upload-form']") is not None  # the task page itself
    assert "退回原因" in text(found(tree, f"//article[@id='record-{record}']//p[@class='error']"))
    assert state(web, "rec_b1") == (ReviewState.PENDING, None)
    typed = client.post(
        f"/evidence/{record}/review",
        data={"csrf_token": csrf, "decision": "reject", "reason": "x" * 501},
    )
    field = found(parse(typed.text), f"//article[@id='record-{record}']//input[@name='reason']")
    assert typed.status_code == 400 and field is not None and field.get("value") == "x" * 501
