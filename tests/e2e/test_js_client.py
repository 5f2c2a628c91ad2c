"""The official JS client, ``@fal-ai/client`` 1.10.1 from npm, runs models here through
the fal server-proxy route (``proxyUrl``), configured only as fal documents it: subscribe,
queue, stream, storage upload, errors and realtime (tests/js/client.test.mjs), against a
real uvicorn server; both databases.

Needs Node.js and npm: skipped without them, except under CI (``CI=true``), where their
absence fails the test.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from impasto.config import Settings
from tests.conftest import SettingsFactory, make_key
from tests.e2e.test_fal_client_upload import server  # noqa: F401  (a fixture)

JS = Path(__file__).resolve().parents[1] / "js"
LOCK = JS / "package-lock.json"
MODULES = JS / "node_modules"
STAMP = MODULES / ".impasto-lock-sha256"
NODE_TEST_TIMEOUT = 300


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        builtin_apps=True,
        embedded_worker=True,
    )


@pytest.fixture(scope="module")
def node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        reason = "Node.js and npm are needed for the JS client test (apt-get install nodejs npm)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    _install(npm)
    return node


def _install(npm: str) -> None:
    """``npm ci`` unless node_modules was installed from this very lock file; one process
    at a time (xdist runs the two databases side by side)."""
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    with open(JS / ".npm-install.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if STAMP.exists() and STAMP.read_text() == digest:
            return
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS,
            check=True,
            timeout=600,
        )
        STAMP.write_text(digest)


def test_the_js_client_runs_models_here(node: str, server: str, container: Any) -> None:  # noqa: F811
    assert_js_client_passes(node, server, make_key(container, "acme"))


def assert_js_client_passes(node: str, url: str, key: str) -> None:
    """tests/js/client.test.mjs against the server at ``url`` with ``key`` (an API key)."""
    env = {
        **os.environ,
        "IMPASTO_URL": url,
        "FAL_KEY": key,
        "NO_PROXY": "127.0.0.1,localhost",
        "NODE_NO_WARNINGS": "1",
    }
    done = subprocess.run(
        [node, "--test", "--test-reporter=spec", "client.test.mjs"],
        cwd=JS,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=NODE_TEST_TIMEOUT,
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    # Every test ran: none failed, none skipped.
    assert re.search(r"^\S+ fail 0$", done.stdout, re.MULTILINE), done.stdout
    assert re.search(r"^\S+ skipped 0$", done.stdout, re.MULTILINE), done.stdout
