"""``impasto serve``: migrate, bootstrap the first key, then serve until SIGINT/SIGTERM."""

from __future__ import annotations

import errno
import signal
import socket
from typing import Annotated

import typer
import uvicorn

from impasto.app import create_app
from impasto.cli.common import DataDirOption, fail, load_settings
from impasto.config import Settings
from impasto.container import build_container, server_limits
from impasto.keys.service import KeyService
from impasto.kit.blas import limit_blas_threads
from impasto.kit.db.migrate import upgrade
from impasto.kit.diskspace import startup_problem
from impasto.kit.http.server import (
    LISTEN_BACKLOG,
    connection_cap,
    raise_open_file_limit,
    server_config,
)
from impasto.kit.instance_lock import InstanceLock, InstanceLocked
from impasto.kit.logging import configure_logging, get_logger
from impasto.kit.tls import ensure_certificate

log = get_logger(__name__)


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port; 0 picks a free one [default: 8000]")] = (
        None
    ),
    data_dir: DataDirOption = None,
    tls: Annotated[
        bool,
        typer.Option(
            "--tls",
            help="Serve HTTPS with a self-signed certificate kept in the data dir "
            "(tls-cert.pem; point SSL_CERT_FILE at it)",
        ),
    ] = False,
) -> None:
    """Run the API server (and, on the embedded default, everything else) in one process."""
    settings = load_settings(host=host, port=port, data_dir=data_dir)
    configure_logging(settings.log_level, settings.log_format)
    limit_blas_threads()
    if problem := startup_problem(settings.data_dir, settings.min_free_disk_bytes):
        fail(problem)
    lock = InstanceLock(settings.data_dir)
    try:
        lock.acquire()
    except InstanceLocked as exc:
        fail(str(exc))
    try:
        sock = _bind(settings)
        container = build_container(settings)
        upgrade(container.database)
        with container.database.session(write=True) as session:
            credential = KeyService(session, container.clock, container.ids).bootstrap_admin(
                settings.bootstrap_owner
            )
        if credential is not None:
            # stdout, once, on purpose: never through the logs.
            typer.echo(
                f"Created the first ADMIN key for owner {settings.bootstrap_owner!r}; "
                "it is shown only this once:"
            )
            typer.echo(f"  {credential}")
        cert = ensure_certificate(settings.data_dir, settings.host) if tls else None
        open_files = raise_open_file_limit()
        server = uvicorn.Server(
            server_config(
                create_app(settings, container),
                server_limits(
                    settings,
                    max_connections=connection_cap(settings.max_connections, open_files),
                ),
                ssl_certfile=str(cert[0]) if cert else None,
                ssl_keyfile=str(cert[1]) if cert else None,
            )
        )
        _route_signals_to(server)
        bound_host, bound_port = sock.getsockname()[:2]
        url_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        scheme = "https" if cert else "http"
        typer.echo(f"Impasto is listening on {scheme}://{url_host}:{bound_port}", color=False)
        if cert:
            typer.echo(f"TLS certificate (for SSL_CERT_FILE): {cert[0]}", color=False)
        log.info("serving", host=bound_host, port=bound_port, database=container.database.dialect)
        server.run(sockets=[sock])
    finally:
        lock.release()
    if not server.started:  # the app's startup failed (e.g. a full disk): logged above
        fail("the server did not start; the log above says why")
    log.info("shutdown_complete")


def _bind(settings: Settings) -> socket.socket:
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sock.close()
        reason = "is already in use" if exc.errno == errno.EADDRINUSE else f"failed: {exc}"
        fail(f"binding {settings.host}:{settings.port} {reason}")
    sock.listen(LISTEN_BACKLOG)
    sock.set_inheritable(True)
    return sock


def _route_signals_to(server: uvicorn.Server) -> None:
    """SIGINT/SIGTERM ask ``server`` to shut down gracefully, from before it runs.

    A signal that arrives before uvicorn installs its own handlers still stops it cleanly,
    and the signal uvicorn re-raises after its shutdown lands here too, so we exit 0.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, server.handle_exit)
