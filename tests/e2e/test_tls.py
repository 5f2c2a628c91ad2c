"""`impasto serve --tls`: fal's client reaches it through its environment alone (§9.2)."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.processes import admin_key, running

CLIENT = """
import json, fal_client
handle = fal_client.submit("impasto/debug", {"payload": "queued"})
print(json.dumps({
    "run": fal_client.run("impasto/debug", {"payload": "sync"}),
    "subscribe": fal_client.subscribe("impasto/debug", {"payload": "sub"}, with_logs=True),
    "status_url": handle.status_url,
    "queued": handle.get(),
}))
"""


def test_fal_client_reaches_a_tls_server_by_environment_only(tmp_path: Path) -> None:
    with running(tmp_path) as started:
        server = started.serve("--tls")
        assert server.url.startswith("https://")
        cert = tmp_path / "data" / "tls-cert.pem"
        assert oct(((tmp_path / "data" / "tls-key.pem").stat().st_mode) & 0o777) == "0o600"
        # Plain https with the certificate trusted, and nothing else.
        trusted = ssl.create_default_context(cafile=cert)
        assert httpx.get(f"{server.url}/health", verify=trusted).status_code == 200
        host = server.url.removeprefix("https://")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("FAL_", "IMPASTO_"))},
            "FAL_KEY": admin_key(server),
            "FAL_RUN_HOST": f"{host}/run",
            "FAL_QUEUE_RUN_HOST": f"{host}/queue",
            "SSL_CERT_FILE": str(cert),
            "NO_PROXY": "127.0.0.1,localhost",
        }
        done = subprocess.run(
            [sys.executable, "-c", CLIENT],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        answers = json.loads(done.stdout.strip().splitlines()[-1])
        assert answers["run"] == {"payload": "sync", "attempt": 1}
        assert answers["subscribe"] == {"payload": "sub", "attempt": 1}
        assert answers["queued"] == {"payload": "queued", "attempt": 1}
        assert answers["status_url"].startswith(f"https://{host}/queue/impasto/debug/requests/")
