"""Playwright on Debian's Chromium. A missing browser fails the run: it is never skipped."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser import accessibility

# The real ASGI server in a subprocess, for pages that use the WebSocket.
from tests.browser.asgi_server import (  # noqa: F401
    asgi_server,
    start_asgi_server,
    use_a_sqlite_file_for_this_run,
)
from tests.deadlines import DEADLINE_MS

# Playwright's sync API runs an event loop in this thread; the tests still call the ORM
# between browser steps, which Django would otherwise refuse inside a running loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"

# The server processes must open the test database: on SQLite, a file for the whole run.
use_a_sqlite_file_for_this_run()

# Playwright's waits too (expect() gives up after 5 s by default, and the pages' actions
# and wait_for_function() after their context's timeout): what a page shows often arrives
# over a socket from a server on a loaded machine. A check returns as soon as it holds, so
# the deadline costs nothing unless the thing never happens.
expect.set_options(timeout=DEADLINE_MS)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not Path(path).exists():
        pytest.fail(
            f"Chromium not found at {path}: install it (apt-get install chromium) "
            "or set CHROMIUM_PATH. Browser tests are not skipped."
        )
    return path


# Package scope: Playwright's sync API leaves its event loop marked as running in this thread
# while it lives, which breaks async tests (pytest-asyncio) that run after the browser tests.
@pytest.fixture(scope="package")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def check_accessibility(pages) -> None:
    """axe on each page as the test left it (tests/browser/accessibility.py): a test that
    passed leaves its pages in the states it reached, and none may have a violation."""
    found = {}
    for page in pages:
        if page.is_closed() or not page.url.startswith("http"):
            continue
        if violations := accessibility.violations(page):
            found[page.url] = violations
    assert not found, "axe violations:\n" + "\n".join(
        f"{url}:\n{accessibility.describe(v)}" for url, v in found.items()
    )


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(DEADLINE_MS)
    page = context.new_page()
    yield page
    if not _failed(request):
        check_accessibility([page])
    context.close()


def _failed(request) -> bool:
    """The test itself failed: its pages are in no state worth checking."""
    report = getattr(request.node, "rep_call", None)
    return report is None or report.failed


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def new_page(browser, request):
    """A page in a fresh browser context of its own (its own cookies: one participant each)."""
    contexts = []

    def make(width: int = 1280, height: int = 800):
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(DEADLINE_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    if not _failed(request):
        check_accessibility([page for context in contexts for page in context.pages])
    for context in contexts:
        context.close()
