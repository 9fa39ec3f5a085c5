"""Browser tests' shared parts: the web world served by uvicorn with chosen settings, the two
window sizes, counting taps, and axe-core (the accessibility checker, from npm) injected into a
page.

axe-core is installed with npm into ``tests/axe/node_modules`` (``npm ci --prefix tests/axe``,
which ``.ci/run`` does); a test that needs it fails, never skips, when it is missing.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from tests.test_web_browser import ARTIFACTS, CHROMIUM, free_port
from tests.web_support import NOW, PASSWORD

from obligations.db import make_engine
from obligations.settings import Settings
from obligations.web import create_app

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}

__all__ = ["ARTIFACTS", "CHROMIUM", "PASSWORD"]


@dataclass
class Served:
    base: str
    ids: dict[str, int]
    tmp: Path
    settings: Settings


@contextmanager
def serve(
    world_template: tuple[Path, dict[str, int]],
    tmp_path: Path,
    now: datetime = NOW,
    **options: Any,
) -> Iterator[Served]:
    """The web world (a copy) served on a free port with ``Settings(**options)``, the clock
    at ``now``."""
    folder, ids = world_template
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(folder / "obligations.sqlite3", data / "obligations.sqlite3")
    shutil.copytree(folder / "evidence", data / "evidence")
    settings = Settings(data_dir=data, **options)
    engine = make_engine(settings.effective_database_url)
    app = create_app(settings, clock=lambda: now, engine=engine)
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not uv.started:  # a loaded machine may take a while; a server that died says so
        assert thread.is_alive() and time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", ids, tmp_path, settings)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium, launched for one test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def new_context(browser: Any, size: str, **options: Any) -> Any:
    """A browser context of one of :data:`SIZES` (the phone with touch, as a phone is), in
    Chinese."""
    width, height = SIZES[size]
    phone = size == "phone"
    return browser.new_context(
        viewport={"width": width, "height": height},
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN",
        **options,
    )


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@dataclass
class Taps:
    """Counts what the user presses (each :meth:`tap` is one tap on the screen)."""

    page: Any
    pressed: list[str] = field(default_factory=list)

    def tap(self, selector: str) -> None:
        self.pressed.append(selector)
        self.page.click(selector)


def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(
            f"axe-core is not installed ({AXE} is missing): run `npm ci --prefix tests/axe` "
            "(.ci/run does)",
            pytrace=False,
        )
    return AXE.read_text(encoding="utf-8")


def serious_violations(page: Any, source: str) -> list[str]:
    """axe-core's serious and critical violations on the page as shown, one line each (rule,
    impact, how many elements, the first element and what to fix). The script is evaluated
    through the DevTools protocol: the page's own policy allows no inline script, and rightly."""
    page.evaluate(source)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])}x) {v['nodes'][0]['target']}: "
        + v["nodes"][0]["failureSummary"].replace("\n", " ")
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def small_targets(page: Any, minimum: float = 44) -> list[str]:
    """The visible controls (links, buttons, fields, summaries; a checkbox by its label) lower
    than ``minimum`` CSS pixels, as ``tag "text" height``."""
    found: list[str] = page.evaluate(
        """(minimum) => {
        const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
        const small = [];
        for (const element of document.querySelectorAll(selector)) {
          let target = element;
          if (element.matches('input[type=checkbox], input[type=radio]')) {
            target = element.closest('label') || element;
          }
          const box = target.getBoundingClientRect();
          const style = getComputedStyle(element);
          if (box.width === 0 || style.visibility === 'hidden') continue;
          if (box.height < minimum) {
            const text = (target.innerText || target.value || target.name || '').trim();
            const tag = element.tagName.toLowerCase();
            small.push(`${tag} "${text.slice(0, 20)}" ${box.height.toFixed(1)}`);
          }
        }
        return small;
      }""",
        minimum,
    )
    return found


def shoot(page: Any, name: str) -> None:
    """A screenshot under test-artifacts/browser/: the whole page on a desktop, the screen as
    seen on a phone (Chromium drops touch emulation while it takes a whole-page shot, which
    would show the desktop's form)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone = page.viewport_size["width"] < 600
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=not phone)
