"""The browser suite: the app served on a real port, driven by Debian's Chromium through
Playwright, one browser context per role.

The app is the suite's own (`tests/conftest.py`: PostgreSQL in CI, SQLite otherwise), served by
a threaded WSGI server on a free port for the whole session; each test sets up its data with
`tests.factories` as any other test does, and the tables are emptied after it.

Every step a test names (`walk.step("...")`) is photographed; the photographs are kept in
`BROWSER_ARTIFACTS` (default: `browser-artifacts/` at the project's root) only when the test
fails (or always, with `BROWSER_KEEP=1`), so a red CI run shows what the browser saw.
`walk.check()` runs axe-core on the page (no violation allowed) and checks the page at phone
width (390 px): nothing scrolls sideways, the header leaves the content near the top, and
every link, button and field of the header and the content is a touch target at least 44 px
high or wide. With `BROWSER_CHECKED=<file>`, each page checked is listed in that file.

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
TOUCH_TARGET = 44  # px, high or wide: a fingertip's width (WCAG 2.5.5's size)
PHONE_HEADER = 130  # px: the brand's row and the folded menu, the content right below
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
    page checked on demand (axe-core, phone width). A `phone` walk is a phone from the start
    (390 px, touch, the page's viewport honoured) and checks its pages at that size only."""

    def __init__(self, browser, base_url: str, folder: Path, name: str, *, phone: bool = False):
        self.base_url = base_url
        self.folder = folder
        self.name = name
        self.phone = phone
        screen = (
            {"viewport": PHONE, "is_mobile": True, "has_touch": True}
            if phone
            else {"viewport": DESKTOP}
        )
        self.context = browser.new_context(
            base_url=base_url, locale="fr-FR", timezone_id="Europe/Paris", **screen
        )
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)
        # The data-confirm questions ("Libérer EB-000001 ?") are answered yes, as a person
        # who clicked on purpose would.
        self.page.on("dialog", lambda dialog: dialog.accept())
        self.steps = 0
        self.checked: list[tuple[str, list[str]]] = []  # each page checked, its problems

    def _console(self, message) -> None:
        where = message.location.get("url", "")
        if message.type != "error":
            return
        # Chromium's PDF viewer asks for /favicon.ico, which the app does not serve: the
        # browser's request, not an error of a page.
        if where.endswith("/favicon.ico"):
            return
        if "status of 422" in message.text and where == self.page.url:
            return  # the page itself: a form that came back with its errors, as it should
        self.errors.append(f"{message.text} at {where}")

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
        self.photograph(re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-"))

    def photograph(self, slug: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(
            path=self.folder / f"{self.name}-{self.steps:02d}-{slug}.png", full_page=True
        )

    def check(self) -> None:
        """axe-core finds nothing on this page, at desktop and at phone width; at phone
        width, nothing scrolls sideways, the header is compact and no touch target is too
        small. Every problem of the page is reported at once; the phone view is photographed
        beside the step."""
        path = self.page.url.removeprefix(self.base_url)
        problems = []
        if not self.phone:
            violations = axe_violations(self.page)
            if violations:
                problems.append(f"axe: {format_violations(violations)}")
            self.page.set_viewport_size(PHONE)
        try:
            self.settle()
            problems += phone_problems(self.page)
            if not self.phone:
                self.photograph("phone")
        finally:
            if not self.phone:
                self.page.set_viewport_size(DESKTOP)
        if self.errors:
            problems.append(f"JavaScript errors {self.errors}")
        self.checked.append((path, problems))
        assert not problems, f"{path}: " + " | ".join(problems)

    def settle(self) -> None:
        """Two frames later: the page's resize handlers have run at the new size."""
        self.page.evaluate(
            "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
        )

    def fetch(self, path: str):
        """A GET with this browser's session, for what the browser would download or show in
        its PDF viewer: the response (status, headers, body)."""
        return self.context.request.get(path)

    def close(self) -> None:
        self.context.close()


# What a finger taps: links, buttons, fields and disclosure summaries of the header and the
# content, as laid out (hidden ones have no box and are skipped). A checkbox or a radio button
# is tapped through its label as well: the label's box counts with its own.
_SMALL_TARGETS = """(minimum) => {
    const selector = ["a[href]", "button", "input:not([type=hidden])", "select", "textarea",
                      "summary"].map(s => `header ${s}, main ${s}`).join(", ");
    const offenders = [];
    for (const element of document.querySelectorAll(selector)) {
        const box = element.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        let [left, top, right, bottom] = [box.left, box.top, box.right, box.bottom];
        if (["checkbox", "radio"].includes(element.type)) {
            for (const label of element.labels || []) {
                const around = label.getBoundingClientRect();
                left = Math.min(left, around.left); top = Math.min(top, around.top);
                right = Math.max(right, around.right); bottom = Math.max(bottom, around.bottom);
            }
        }
        const [width, height] = [right - left, bottom - top];
        if (Math.max(width, height) < minimum) {
            const name = (element.innerText || element.value || element.name || "").trim();
            offenders.push(`${element.tagName.toLowerCase()} "${name.slice(0, 30)}" ` +
                           `${Math.round(width)}×${Math.round(height)}`);
        }
    }
    return offenders;
}"""


def small_targets(page) -> list[str]:
    """The touch targets of the page under TOUCH_TARGET px both high and wide."""
    return page.evaluate(_SMALL_TARGETS, TOUCH_TARGET)


def phone_problems(page) -> list[str]:
    """What is wrong with the page as laid out at phone width."""
    problems = []
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"scrolls {overflow} px sideways at 390 px")
    header = page.evaluate("() => document.querySelector('header').offsetHeight")
    if header > PHONE_HEADER:
        problems.append(f"a header {header} px high at 390 px (at most {PHONE_HEADER})")
    violations = axe_violations(page)
    if violations:
        problems.append(f"axe at 390 px: {format_violations(violations)}")
    small = small_targets(page)
    if small:
        problems.append(f"touch targets under {TOUCH_TARGET} px at 390 px: {small}")
    return problems


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
    """`walk(name)` opens a browser context for one role (`walk(name, phone=True)`: a phone);
    its photographs are kept when the test fails (or always, with `BROWSER_KEEP=1`)."""
    folder = Path(os.environ.get("BROWSER_ARTIFACTS", PROJECT_ROOT / "browser-artifacts"))
    folder = folder / request.node.name
    opened: list[Walk] = []

    def open_walk(name: str, *, phone: bool = False) -> Walk:
        opened.append(Walk(browser, live_server, folder, name, phone=phone))
        return opened[-1]

    yield open_walk
    listing = os.environ.get("BROWSER_CHECKED")
    if listing:
        with open(listing, "a", encoding="utf-8") as out:
            for each in opened:
                for path, problems in each.checked:
                    found = " | ".join(problems) or "no axe violation, no phone problem"
                    out.write(f"{request.node.name} {each.name} {path}: {found}\n")
    for each in opened:
        each.close()
    if not getattr(request.node, "call_failed", False) and not os.environ.get("BROWSER_KEEP"):
        shutil.rmtree(folder, ignore_errors=True)
