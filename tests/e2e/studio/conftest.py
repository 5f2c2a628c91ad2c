"""A real `impasto serve` per test module and Debian's chromium driven by Playwright.

Each test signs in with keys of its own owner, so tests stay independent on the module's
server. Screenshots go to ``IMPASTO_STUDIO_SCREENSHOTS`` when set (the README's come from
there), else to the test's temporary directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import TIMEOUT, Processes, admin_key, headers, running

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
# Runs and the indexer take their time on a loaded CI machine; waits end as soon as met.
expect.set_options(timeout=TIMEOUT * 1000)

CHROMIUM = "/usr/bin/chromium"
FORM_APP = "admin/form"  # the bootstrap owner: its ADMIN key may call it
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Studio:
    url: str
    admin: str
    processes: Processes
    shots: Path

    def owner_key(self, scope: str = "admin") -> tuple[str, str]:
        """A new owner and a key of theirs, made by the operator's CLI."""
        owner = f"o{uuid.uuid4().hex[:10]}"
        created = subprocess.run(
            [sys.executable, "-m", "impasto", "keys", "create", "--owner", owner, "--scope", scope],
            capture_output=True,
            text=True,
            env=self.processes.env,
            timeout=TIMEOUT,
            check=False,
        )
        assert created.returncode == 0, created.stderr
        return owner, created.stdout.strip().splitlines()[-1]

    def api(self, key: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=headers(key), timeout=TIMEOUT)


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    tmp = tmp_path_factory.mktemp("studio")
    shots = Path(os.environ.get("IMPASTO_STUDIO_SCREENSHOTS") or tmp / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    with running(tmp) as processes:
        # Built-in apps, and one whose input has every kind of field (form_app.py).
        server = processes.serve(IMPASTO_APPS=f"{FORM_APP}=studio.form_app:FormApp")
        yield Studio(url=server.url, admin=admin_key(server), processes=processes, shots=shots)


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright.Browser]:
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: playwright.Browser) -> Iterator[playwright.Page]:
    """A fresh browser profile; any script error or policy violation fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT * 1000)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    opened.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and "status of 4" not in message.text
            else None
        ),
    )
    opened.on("dialog", lambda dialog: dialog.accept())
    yield opened
    context.close()
    assert problems == []


def sign_in(page: playwright.Page, studio: Studio, key: str) -> None:
    page.goto(f"{studio.url}/sign-in")
    page.fill("#key", key)
    page.click("button[type=submit]")
    page.wait_for_url("**/models")


def shot(page: playwright.Page, studio: Studio, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=studio.shots / f"{name}.png", full_page=False)
