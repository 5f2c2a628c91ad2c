"""``impasto run PATH[::Class]``: serve one app locally while you edit it.

Like ``fal run``: a private server of its own (``impasto serve`` on a temporary data
directory unless ``--data-dir`` is given), the app deployed to it as code, and every save
of its files redeployed: the next call runs the new code, while calls in flight finish on
the old. A save that does not import is reported and the last good revision keeps
serving. Ctrl-C stops everything; a temporary data directory is removed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import click
import typer

from impasto.cli.deploy import send
from impasto.cli.packing import PackingError, locate

POLL_SECONDS = 0.5
LISTENING = re.compile(r"Impasto is listening on (https?://\S+)")
START_TIMEOUT = 120.0


def run(
    target: Annotated[str, typer.Argument(metavar="PATH[::CLASS]")],
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one")] = 8000,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Keep the server's data here [default: a temporary folder]"),
    ] = None,
) -> None:
    """Serve an app on a local server of its own, redeploying it on every change."""
    try:
        locate(target)
    except PackingError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    folder = data_dir or Path(tempfile.mkdtemp(prefix="impasto-run-"))
    command = [sys.executable, "-m", "impasto", "serve", "--port", str(port)]
    server = subprocess.Popen(  # noqa: S603 - this interpreter, our own command
        [*command, "--data-dir", str(folder)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url, key = _started(server)
        threading.Thread(target=_echo, args=(server,), daemon=True).start()
        typer.echo(f"Impasto is serving {target} on {url}")
        typer.echo(f"ADMIN key: {key}")
        kept = "kept" if data_dir else "removed on exit"
        typer.echo(f"Data directory: {folder} ({kept})")
        signature = _deploy(target, url, key)
        while server.poll() is None:
            time.sleep(POLL_SECONDS)
            now = _signature(target)
            if now != signature:
                signature = now
                typer.echo("Change seen: redeploying")
                _deploy(target, url, key)
    except KeyboardInterrupt:
        pass
    finally:
        server.terminate()
        server.wait(timeout=60)
        if data_dir is None:
            shutil.rmtree(folder, ignore_errors=True)


def _started(server: subprocess.Popen[str]) -> tuple[str, str]:
    """The server's URL and its first ADMIN key, read off its first lines."""
    assert server.stdout is not None
    key = ""
    deadline = time.monotonic() + START_TIMEOUT
    for line in server.stdout:
        if key == "" and "first ADMIN key" in line:
            key = next(server.stdout).strip()
        found = LISTENING.search(line)
        if found:
            if not key:
                raise click.ClickException(
                    "the data directory already has keys: give a fresh --data-dir"
                )
            return found.group(1), key
        if time.monotonic() > deadline:
            break
    raise click.ClickException("the server did not start; its log above says why")


def _echo(server: subprocess.Popen[str]) -> None:
    """Pass the server's later output on, so that its pipe never fills."""
    assert server.stdout is not None
    for line in server.stdout:
        typer.echo(line.rstrip("\n"))


def _deploy(target: str, url: str, key: str) -> tuple[Any, ...]:
    """Deploy, report, and return what was deployed (the files' state) so a failed
    import is not retried until the files change again."""
    signature = _signature(target)
    try:
        answer = send(target, url=url, key=key)
    except typer.Exit:  # ``send`` said why on stderr
        return signature
    app = answer["app"]
    typer.echo(f"Revision {answer['revision']['revision_id']} of {app['app_id']} is live:")
    for endpoint in app["endpoints"]:
        typer.echo(f"  POST {url}/{endpoint}")
    return signature


def _signature(target: str) -> tuple[Any, ...]:
    try:
        paths = locate(target).paths
    except PackingError:
        return ()
    return tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in paths)
