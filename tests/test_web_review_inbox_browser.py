"""A unit manager decides material from the review inbox in a real browser (Debian's chromium),
on a desktop (1440x900) and a phone (390x844): follows the header's "待审核 2", accepts the
oldest record, tries to return the other without a reason (the message appears on its row,
the page keeps its menu), then returns it with one. Screenshots are kept under
test-artifacts/browser/ (review-inbox-*); axe-core finds no serious violation on the inbox,
nor on it showing the message."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from tests.browser_support import (
    CHROMIUM,
    Served,
    axe_source,
    new_context,
    serious_violations,
    serve,
    shoot,
    sign_in,
)
from tests.evidence_support import add_to_task
from tests.storage_samples import png
from tests.web_support import FAST_HASHER, NOW, world_template

from obligations.accounts import users as accounts
from obligations.db import make_engine, session_factory
from obligations.evidence.intake import Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.models import EvidenceRecord
from obligations.vocabulary import EvidenceKind, ReviewState

__all__ = ["world_template"]


@pytest.fixture
def site(
    world_template: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Served, int]]:
    """The web world with a second pending record of U01 (a photo of October's branch
    meeting, recorded after the world's own record), and that record's id."""
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    with serve(world_template, tmp_path) as served:
        engine = make_engine(served.settings.effective_database_url)
        try:
            with session_factory(engine).begin() as db:
                second = _photo_record(db, served)
        finally:
            engine.dispose()
        yield served, second


def _photo_record(db: Session, served: Served) -> int:
    data = EvidenceInput(
        title="十月支部党员大会", held_on=date(2026, 10, 20), kind=EvidenceKind.PHOTOS,
        participants=18,
    )  # fmt: skip
    record = add_to_task(
        db, LocalBlobStore(served.settings.evidence_dir),
        EvidencePolicy(limits=UploadLimits(max_bytes=1_000_000)),
        task_id=served.ids["task_b1"], data=data, uploads=[Upload("会场.png", io.BytesIO(png()))],
        actor="赵支书", now=NOW,
    )  # fmt: skip
    return record.id


def states(served: Served, *ids: int) -> list[tuple[ReviewState, str | None]]:
    engine = make_engine(served.settings.effective_database_url)
    try:
        with session_factory(engine)() as db:
            found = [db.get(EvidenceRecord, i) for i in ids]
            return [(r.review_state, r.review_reason) for r in found if r is not None]
    finally:
        engine.dispose()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_unit_manager_accepts_one_record_and_returns_another_from_the_inbox(
    site: tuple[Served, int], size: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    served, second = site
    first = served.ids["rec_b1"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = new_context(browser, size).new_page()
        sign_in(page, served.base, "u01_manager")
        badge = page.locator("header a.review-count")
        expect(badge).to_have_text(re.compile(r"待审核\s*2"))
        badge.click()
        page.wait_for_url(re.compile(r"/review$"))
        rows = page.locator("article.inbox-row")
        expect(rows).to_have_count(2)
        assert rows.first.get_attribute("id") == f"record-{first}"  # the oldest first
        expect(rows.nth(1)).to_contain_text("十月支部党员大会")
        expect(rows.nth(1)).to_contain_text("会场.png")
        shoot(page, f"review-inbox-{size}")
        assert serious_violations(page, axe_source()) == []

        rows.first.get_by_role("button", name="通过").click()
        page.wait_for_url(re.compile(r"/review\?message="))
        expect(page.locator("p.notice")).to_have_text("已通过：会议记录")
        expect(badge).to_have_text(re.compile(r"待审核\s*1"))
        expect(rows).to_have_count(1)

        row = page.locator(f"#record-{second}")
        row.get_by_role("button", name="退回").click()  # no reason typed
        error = row.locator("p.error[role=alert]")
        expect(error).to_contain_text("退回原因")
        expect(page.locator("header nav")).to_be_visible()  # inside the site, not a bare page
        shoot(page, f"review-inbox-{size}-reason-missing")
        assert serious_violations(page, axe_source()) == []  # the message and the marked field
        assert states(served, second) == [(ReviewState.PENDING, None)]

        row.get_by_label("退回原因").fill("照片看不清签到表，请补拍")
        row.get_by_role("button", name="退回").click()
        page.wait_for_url(re.compile(r"/review\?message="))
        expect(page.locator("p.notice")).to_have_text("已退回：十月支部党员大会")
        expect(badge).to_have_text(re.compile(r"待审核\s*0"))
        expect(page.locator("main")).to_contain_text("没有等待审核的材料。")
        shoot(page, f"review-inbox-{size}-done")
        browser.close()
    assert states(served, first, second) == [
        (ReviewState.ACCEPTED, None),
        (ReviewState.REJECTED, "照片看不清签到表，请补拍"),
    ]
