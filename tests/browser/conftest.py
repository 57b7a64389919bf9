"""The browser suite: the app served on a real port, driven by Debian's Chromium through
Playwright, one browser context per role.

The app is the suite's own (`tests/conftest.py`: PostgreSQL in CI, SQLite otherwise), served by
a threaded WSGI server on a free port for the whole session; each test sets up its data with
`tests.factories` as any other test does, and the tables are emptied after it.

Every step a test names (`walk.step("...")`) is photographed; the photographs are kept in
`BROWSER_ARTIFACTS` (default: `browser-artifacts/` at the project's root) only when the test
fails, so a red CI run shows what the browser saw. `walk.check()` runs axe-core on the page
(no violation allowed) and checks the page at phone width (390 px): nothing scrolls sideways.

Without a Chromium the suite is skipped, except where `BROWSER_REQUIRED=1` (`.ci/run`): there
a missing browser is a failure, never a silent skip.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from equipbank import PROJECT_ROOT
from tests import factories

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Flags for a container without a display, a GPU or a network: no sandbox (root in CI),
# no background traffic towards Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_missing() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config, items):
    missing = _browser_missing()
    if missing is None:
        return
    if os.environ.get("BROWSER_REQUIRED") == "1":
        raise pytest.UsageError(f"browser suite required but {missing}")
    skip = pytest.mark.skip(reason=missing)
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The app on 127.0.0.1:<free port>, served in a thread for the whole session."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Walk:
    """A role's way through the app in one browser context: named steps photographed, each
    page checked on demand (axe-core, phone width)."""

    def __init__(self, browser, base_url: str, folder: Path, name: str):
        self.base_url = base_url
        self.folder = folder
        self.name = name
        self.context = browser.new_context(
            base_url=base_url, viewport=DESKTOP, locale="fr-FR", timezone_id="Europe/Paris"
        )
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)
        self.steps = 0
        self.checked: dict[str, int] = {}  # path -> axe violations found (always 0 on success)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        if "status of 422" in message.text and message.location.get("url") == self.page.url:
            return  # the page itself: a form that came back with its errors, as it should
        self.errors.append(message.text)

    def login(self, user, password: str = factories.PASSWORD) -> None:
        self.page.goto("/login")
        self.page.get_by_label("Adresse e-mail").fill(user.email)
        self.page.get_by_label("Mot de passe").fill(password)
        self.page.get_by_role("button", name="Se connecter").click()
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, self.page.inner_text("main")

    def goto(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.status < 400, (
            f"{path}: {response and response.status}"
        )

    def step(self, label: str) -> None:
        self.steps += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(
            path=self.folder / f"{self.name}-{self.steps:02d}-{slug}.png", full_page=True
        )

    def check(self) -> None:
        """axe-core finds nothing on this page, at desktop and at phone width; at phone
        width, nothing scrolls sideways."""
        path = self.page.url.removeprefix(self.base_url)
        violations = axe_violations(self.page)
        assert not violations, f"{path}: {format_violations(violations)}"
        self.page.set_viewport_size(PHONE)
        try:
            overflow = self.page.evaluate(
                "() => document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, f"{path} scrolls {overflow} px sideways at 390 px"
            violations = axe_violations(self.page)
            assert not violations, f"{path} at 390 px: {format_violations(violations)}"
        finally:
            self.page.set_viewport_size(DESKTOP)
        self.checked[path] = 0
        assert not self.errors, f"{path}: JavaScript errors {self.errors}"

    def close(self) -> None:
        self.context.close()


def axe_violations(page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's CSP does not govern
        # (a <script> tag would be refused, as it should be).
        page.evaluate(_axe_source())
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
            }));
        }"""
    )


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def format_violations(violations: list[dict]) -> str:
    return "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'])}" for v in violations
    )


@pytest.fixture
def walk(request, browser, live_server):
    """`walk(name)` opens a browser context for one role; its photographs are kept when the
    test fails."""
    folder = Path(os.environ.get("BROWSER_ARTIFACTS", PROJECT_ROOT / "browser-artifacts"))
    folder = folder / request.node.name
    opened: list[Walk] = []

    def open_walk(name: str) -> Walk:
        opened.append(Walk(browser, live_server, folder, name))
        return opened[-1]

    yield open_walk
    for each in opened:
        each.close()
    if not getattr(request.node, "call_failed", False):
        shutil.rmtree(folder, ignore_errors=True)
