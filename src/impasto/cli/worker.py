"""``impasto worker``: serve the queue from another machine, over the API, until stopped.

Needs the API's address and a WORKER key (``impasto workers token create`` on the server),
never database settings; tenant keys, ADMIN ones included, are refused. SIGINT/SIGTERM stop
claiming and stop the runners; requests still in flight go back to the queue when their
leases run out, and another worker runs them again.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from impasto.cli.common import fail
from impasto.kit.clock import SystemClock
from impasto.kit.egress.fetch import FetchLimits, UrlFetcher
from impasto.kit.logging import LogFormat, configure_logging, get_logger
from impasto.workers.agent import AgentConfig, WorkerAgent, worker_name
from impasto.workers.code import CodeSettings
from impasto.workers.http_link import HttpLink, WorkerApiError

log = get_logger(__name__)
MIN_HEARTBEAT_SECONDS = 0.5


def worker(
    api: Annotated[str, typer.Option(help="The API's base URL, e.g. http://10.0.0.5:8000")],
    key: Annotated[
        str,
        typer.Option(
            help="A worker key, key_id:key_secret, from `impasto workers token create` "
            "on the server"
        ),
    ],
    app: Annotated[
        list[str] | None,
        typer.Option("--app", help="Serve only this app (owner/name); repeatable [default: all]"),
    ] = None,
    spool: Annotated[
        Path | None,
        typer.Option(help="Folder for files in transit [default: a temporary folder]"),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            envvar="IMPASTO_APP_CACHE_DIR",
            help="Where apps deployed as code are unpacked and their requirements "
            "installed [default: ~/.cache/impasto/apps]",
        ),
    ] = None,
    index_url: Annotated[
        str | None,
        typer.Option(envvar="IMPASTO_APP_INDEX_URL", help="Package index for requirements"),
    ] = None,
    find_links: Annotated[
        list[str] | None,
        typer.Option("--find-links", help="Folder or URL of wheels for requirements; repeatable"),
    ] = None,
    no_index: Annotated[
        bool,
        typer.Option(envvar="IMPASTO_APP_NO_INDEX", help="Install from --find-links only"),
    ] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
) -> None:
    """Run deployed apps for a remote Impasto server until SIGINT/SIGTERM."""
    if not api.startswith(("http://", "https://")):
        fail("--api must be an http:// or https:// URL", code=2)
    for item in app or []:
        if item.count("/") != 1 or item.startswith("/") or item.endswith("/"):
            fail(f"--app {item!r}: use owner/name", code=2)
    configure_logging(log_level, LogFormat.AUTO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per call drowns the rest
    spool_dir = spool or Path(tempfile.mkdtemp(prefix="impasto-worker-"))
    try:
        code_settings = CodeSettings(
            cache_dir=cache_dir or Path.home() / ".cache" / "impasto" / "apps",
            index_url=index_url,
            find_links=tuple(find_links or ()),
            no_index=no_index,
        )
        only = frozenset(app) if app else None
        code = asyncio.run(_serve(api, key, only, spool_dir, code_settings))
    finally:
        if spool is None:
            shutil.rmtree(spool_dir, ignore_errors=True)
    if code:
        raise typer.Exit(code)
    log.info("worker_stopped")


async def _serve(
    api: str, key: str, only: frozenset[str] | None, spool: Path, code: CodeSettings
) -> int:
    clock = SystemClock()
    worker_id = f"{worker_name()}-{secrets.token_hex(4)}"
    fetcher = UrlFetcher(FetchLimits(), clock=clock)
    link = HttpLink(api, key, worker_id, fetcher=fetcher, clock=clock, retry_seconds=120.0)
    try:
        try:
            info = await link.info()
        except WorkerApiError as exc:
            typer.echo(f"error: {api} refused the worker: {exc}", err=True)
            return 1
        lease = float(info["lease_seconds"])
        config = AgentConfig(
            spool_dir=spool,
            heartbeat_seconds=max(MIN_HEARTBEAT_SECONDS, lease / 3),
            only_apps=only,
            code=code,
        )
        agent = WorkerAgent(link, config)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await agent.start()
        typer.echo(f"Impasto worker {worker_id} is serving {api}", color=False)
        log.info("worker_started", worker_id=worker_id, api=api, apps=sorted(only or []))
        await stop.wait()
        log.info("worker_stopping", in_flight=agent.in_flight)
        await agent.stop()
        return 0
    finally:
        await link.aclose()
