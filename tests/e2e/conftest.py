"""Browser fixtures: Debian's chromium driven by Playwright against pytest-django's live server.

Playwright's sync API keeps an asyncio loop running in the main thread while a browser is
open, so Django's async-safety check would refuse every ORM call the test body makes.
``DJANGO_ALLOW_ASYNC_UNSAFE`` switches that check off, for the e2e tests only: the variable
is set while the Playwright driver runs and removed again afterwards.

The data must be committed for the live server's thread to see it: the tests are
transactional (``django_db(transaction=True)``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PASSWORD = "secret-password"  # tests/factories.py UserFactory
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"e2e tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
def _allow_async_unsafe_orm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser(chromium_executable: Path, _allow_async_unsafe_orm: None):
    # Imported here so that collecting the other test packages never needs Playwright.
    from django.db import connections
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_executable), args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            # While Playwright's loop runs, Django keeps this thread's connections apart
            # (asgiref's Local turns into a context variable), so the test body got its own
            # connections: close them, or PostgreSQL cannot drop the test database later.
            connections.close_all()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@dataclass
class BrowserProblems:
    """What went wrong in the browser while a test ran: JS errors and failed requests."""

    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_responses: list[str] = field(default_factory=list)

    def as_text(self) -> str:
        return "\n".join(
            [
                *(f"JS error: {e}" for e in self.page_errors),
                *(f"console error: {e}" for e in self.console_errors),
                *(f"HTTP {e}" for e in self.failed_responses),
            ]
        )


@pytest.fixture(autouse=True)
def _no_autosave(settings) -> None:
    """Wagtail's autosave off while a test drives the admin.

    Autosave posts the form 500 ms after the last change, independently of the editor's
    own submit; on a loaded machine the two overlap, and the late autosave of a new
    product gets a 400 because the submit has just created its SKU (seen in CI on
    PostgreSQL). That is Wagtail's client racing itself, harmless to the editor, and not
    what these tests are about.
    """
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def admin_session(browser, live_server, browser_problems):
    """``admin_session(username)``: a new browser context logged in to the admin.

    Each call is a fresh context (cookies, storage), like a different person's browser.
    Requests to anything but the live server are refused (avatars from gravatar.com), so
    the test never waits on the network. Returns the page, on the admin dashboard, after
    checking that the admin's CSS and JavaScript loaded.
    """
    from playwright.sync_api import Page, Route, expect

    server = urlsplit(live_server.url).netloc
    contexts = []

    def only_live_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == server:
            route.continue_()
        else:
            route.abort()

    def watch(page: Page, label: str) -> None:
        page.on("pageerror", lambda error: browser_problems.page_errors.append(f"{label}: {error}"))

        def on_console(message) -> None:
            # Refused external requests (gravatar) log "Failed to load resource"; the
            # response hook reports the live server's own failures.
            if message.type == "error" and "Failed to load resource" not in message.text:
                browser_problems.console_errors.append(f"{label}: {message.text}")

        page.on("console", on_console)

        def on_response(response) -> None:
            if urlsplit(response.url).netloc == server and response.status >= 400:
                browser_problems.failed_responses.append(
                    f"{response.status} {response.request.method} {response.url} ({label})"
                )

        page.on("response", on_response)

    def open_session(username: str) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            locale="en-US",
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.route("**/*", only_live_server)
        contexts.append(context)
        page = context.new_page()
        watch(page, username)

        page.goto("/admin/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/admin/$"))
        # The sidebar is rendered by the admin's JavaScript; .w-sr-only comes from its CSS.
        expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()
        expect(page.locator(".w-sr-only").first).to_have_css("position", "absolute")
        return page

    yield open_session

    for context in contexts:
        context.close()


@pytest.fixture
def shoot(screenshot_dir: Path, request) -> Callable:
    """``shoot(page, "step-name")`` saves screenshots/<test>/<NN>-<step-name>.png."""
    folder = screenshot_dir / re.sub(r"\W+", "_", request.node.name).strip("_")
    if folder.exists():
        for old in folder.glob("*.png"):
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def take(page, step: str) -> Path:
        path = folder / f"{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path))
        return path

    return take


@pytest.fixture
def signed_in(browser, live_server, browser_problems):
    """``signed_in(user)``: a new browser context signed in by its session cookie, on the
    admin home. Faster than ``admin_session``'s sign-in form, for tests about what comes
    after it; requests off the live server are refused and problems recorded alike.
    """
    from django.conf import settings
    from django.test import Client
    from playwright.sync_api import expect

    server = urlsplit(live_server.url).netloc
    contexts = []

    def open_as(user):
        session = Client()
        session.force_login(user)
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1400, "height": 1000}
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.route(
            "**/*",
            lambda route: (
                route.continue_() if urlsplit(route.request.url).netloc == server else route.abort()
            ),
        )
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        contexts.append(context)
        page = context.new_page()
        label = user.get_username()
        page.on("pageerror", lambda error: browser_problems.page_errors.append(f"{label}: {error}"))
        page.on(
            "response",
            lambda response: (
                browser_problems.failed_responses.append(
                    f"{response.status} {response.request.method} {response.url} ({label})"
                )
                if urlsplit(response.url).netloc == server and response.status >= 400
                else None
            ),
        )
        page.goto("/admin/")
        expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()
        return page

    yield open_as

    for context in contexts:
        context.close()
