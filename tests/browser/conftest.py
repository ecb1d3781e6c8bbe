"""Browser journeys: the app served on a loopback port, driven by Playwright in Debian's
chromium (never a downloaded browser). Every request the page makes is recorded; a request to
any host but the app fails the journey. Screenshots go under test-artifacts/screenshots/."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
FOLDERS: dict[str, Path] = {}  # journey -> its screenshot folder, listed after the run


def pytest_terminal_summary(terminalreporter):
    if FOLDERS:
        terminalreporter.write_sep("-", "browser journey screenshots")
        for name, folder in sorted(FOLDERS.items()):
            count = len(list(folder.glob("*.png")))
            terminalreporter.write_line(f"{name}: {folder} ({count} screenshots)")


@pytest.fixture(scope="session")
def live_server(pg_app):
    server = make_server("127.0.0.1", 0, pg_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `apt-get install chromium` (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


class Journey:
    """One person's session: a page, its requests, and numbered screenshots."""

    def __init__(self, browser, base_url: str, name: str):
        self.base = base_url
        self.host = urlparse(base_url).netloc
        self.context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.page.on("request", lambda req: self.requests.append(req.url))
        self.folder = ARTIFACTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.step = 0
        print(f"\nscreenshots of {name}: {self.folder}")
        FOLDERS[name] = self.folder

    def go(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def login(self, username: str, password: str):
        self.go("/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("input[type=submit], button[type=submit]")
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, f"log-in of {username} failed"

    def shot(self, label: str) -> Path:
        self.step += 1
        path = self.folder / f"{self.step:02d}-{re.sub(r'[^a-z0-9_-]+', '-', label.lower())}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def see(self, *texts: str) -> None:
        body = self.page.inner_text("body")
        for text in texts:
            assert text in body, f"{text!r} not on {self.page.url}"

    def outside_requests(self) -> list[str]:
        outside = []
        for url in self.requests:
            parsed = urlparse(url)
            if parsed.scheme in ("data", "blob", "about"):
                continue
            if parsed.netloc != self.host:
                outside.append(url)
        return outside

    def close(self):
        outside = self.outside_requests()
        self.context.close()
        assert outside == [], f"requests left the app's host: {outside[:5]}"


@pytest.fixture
def journey(browser, live_server, request):
    opened = []

    def start(name: str) -> Journey:
        j = Journey(browser, live_server, name)
        opened.append(j)
        return j

    yield start
    for j in opened:
        j.close()
