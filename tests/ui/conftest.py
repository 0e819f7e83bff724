"""Browser-test harness: the app on a free loopback port, Debian's Chromium via Playwright.

Every page records what a user could not see: dialogs (``alert``), console
messages, and every request the page makes. Requests to anything other than
the app's own loopback origin are recorded and then *aborted*, so a test that
fails can never leak to the network, and the recording says it tried.

Tests skip (with the reason) only when ``/usr/bin/chromium`` is missing; ``make
test`` installs it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from persona.services import Services

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def free_port() -> int:
    """A TCP port nobody listens on right now (on 127.0.0.1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(services: Services) -> Iterator[str]:
    """Run the app (with the product's launch options) on a free port; yield its URL."""
    import ui

    app = ui.launch(services, server_port=free_port(), prevent_thread_lock=True)
    try:
        url = app.local_url
        assert url is not None and urlsplit(url).hostname == "127.0.0.1", url
        yield url
    finally:
        app.close()


@dataclass
class Recorder:
    """What a page did behind the user's back."""

    origin: str
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def outbound(self) -> list[str]:
        """Requests that were not for the app itself (data: and blob: URLs are local)."""
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname not in LOOPBACK_HOSTS:
                out.append(url)
        return out


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (one per test session)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[str], tuple[Any, Recorder]]]:
    """Open the app at a URL in a fresh context that records and fences the page.

    ``opener(url, ready)`` returns once ``ready`` (a CSS selector: the project
    picker unless told otherwise, e.g. the login form) is on the page.
    """
    contexts: list[Any] = []

    def opener(url: str, ready: str = "#project") -> tuple[Any, Recorder]:
        context = browser.new_context(
            viewport={"width": 1400, "height": 1000}, accept_downloads=True
        )
        contexts.append(context)
        recorder = Recorder(origin=url)

        def route(route: Any) -> None:
            recorder.requests.append(route.request.url)
            host = urlsplit(route.request.url).hostname
            if urlsplit(route.request.url).scheme in ("data", "blob") or host in LOOPBACK_HOSTS:
                route.continue_()
            else:
                route.abort()

        def on_dialog(dialog: Any) -> None:
            recorder.dialogs.append(dialog.message)
            dialog.dismiss()

        context.route("**/*", route)
        page = context.new_page()
        page.on("dialog", on_dialog)
        page.on("console", lambda message: recorder.console.append(message.text))
        page.on("pageerror", lambda error: recorder.page_errors.append(str(error)))
        page.set_default_timeout(60_000)
        page.goto(url)
        page.wait_for_selector(ready, timeout=60_000)
        return page, recorder

    yield opener
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (``test-artifacts/ui``, git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
