"""An invalid rule catalog in the data directory: the pages go on with the last valid catalog
and the administrators, only they, see a banner naming the errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.web_support import FAST_HASHER, WebWorld, make_web_world, web, world_template

from obligations.accounts import users as accounts
from obligations.rules.keeper import CatalogKeeper

__all__ = ["web", "world_template"]

BROKEN = """\
rules:
  - id: local-fortnightly-study
    ledger_item: "4.3"
    title: 双周学习
    description: 每两周学习一次。
    scope: branch
    period: fortnight
"""
LOCAL_RULE = BROKEN.replace("period: fortnight", "period: month")
PAGES = ("/", "/my", "/units/U01", "/units/U01?item=4.3", "/units/U01/ledger")


def write_rules(data_dir: Path, text: str) -> Path:
    path = data_dir / "calendar_rules" / "rules" / "local.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def keeper(web: WebWorld) -> CatalogKeeper:
    found: CatalogKeeper = web.client.app.state.web.catalog_keeper  # type: ignore[attr-defined]
    return found


def banner(html: str) -> str:
    return (
        html.split('id="catalog-banner"', 1)[1].split("</section>", 1)[0]
        if ('id="catalog-banner"' in html)
        else ""
    )


def test_a_catalog_broken_while_the_site_runs_keeps_the_last_valid_one_with_a_banner(
    web: WebWorld,
) -> None:
    keeper(web).interval = 0  # look at the files on every request
    write_rules(web.settings.data_dir, LOCAL_RULE)
    admin, _ = web.login("admin")
    assert admin.get("/my").status_code == 200
    assert keeper(web).current().rule("local-fortnightly-study").title == "双周学习"
    write_rules(web.settings.data_dir, BROKEN)
    manager, _ = web.login("u01_manager")
    for address in PAGES:
        for client in (admin, manager):
            response = client.get(address)
            assert response.status_code in (200, 303), (address, response.text[:300])
    shown = banner(admin.get("/my").text)
    assert "1 处错误" in shown and "calendar_rules/rules/local.yaml:7" in shown
    assert "obligations rules check" in shown and 'href="/admin/rules"' in shown
    assert banner(manager.get("/my").text) == ""
    assert keeper(web).current().rule("local-fortnightly-study").title == "双周学习"  # kept
    write_rules(web.settings.data_dir, LOCAL_RULE.replace("双周学习", "每月学习"))
    assert banner(admin.get("/my").text) == ""  # mended: in force at once
    assert keeper(web).current().rule("local-fortnightly-study").title == "每月学习"


@pytest.fixture
def started_broken(
    world_template: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WebWorld]:
    """A site started with the data directory's catalog already invalid."""
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    write_rules(tmp_path / "data", BROKEN)
    yield from make_web_world(world_template, tmp_path / "data")


def test_a_site_started_with_a_broken_catalog_serves_the_rest_of_it_with_a_banner(
    started_broken: WebWorld,
) -> None:
    admin, _ = started_broken.login("admin")
    manager, _ = started_broken.login("b1_secretary")
    for address in PAGES:
        assert admin.get(address).status_code == 200, address
    assert manager.get("/my").status_code == 200
    assert manager.get(f"/tasks/{started_broken.ids['task_b1']}").status_code == 200
    assert "calendar_rules/rules/local.yaml:7" in banner(admin.get("/admin").text)
    assert banner(manager.get("/my").text) == ""


def test_the_keeper_looks_at_the_files_at_most_once_an_interval(tmp_path: Path) -> None:
    from obligations.paths import shipped_dir

    now = [0.0]
    shipped = [shipped_dir("calendar_rules")]
    local = tmp_path / "calendar_rules"
    kept = CatalogKeeper(dirs=lambda: [*shipped, local], shipped=shipped, clock=lambda: now[0])
    first = kept.current()
    write_rules(tmp_path, BROKEN)
    assert kept.current() is first and kept.problems == []  # within the interval
    now[0] = 1.5
    assert kept.current() is first and len(kept.problems) == 1


def test_started_broken_the_keeper_keeps_the_data_directorys_valid_files(tmp_path: Path) -> None:
    from obligations.paths import shipped_dir

    shipped = [shipped_dir("calendar_rules")]
    local = tmp_path / "calendar_rules"
    write_rules(tmp_path, BROKEN)
    extra = local / "rules" / "extra.yaml"
    extra.write_text(LOCAL_RULE.replace("local-fortnightly-study", "local-extra"), "utf-8")
    kept = CatalogKeeper(dirs=lambda: [*shipped, local], shipped=shipped)
    catalog = kept.current()
    assert catalog.rule("local-extra").title == "双周学习"  # the valid local file serves
    with pytest.raises(KeyError):
        catalog.rule("local-fortnightly-study")  # the broken one is left out
    assert [p.file.name for p in kept.problems] == ["local.yaml"]
