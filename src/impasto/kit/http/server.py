"""uvicorn as ``impasto serve`` runs it: limited connections, under the open-file limit."""

from __future__ import annotations

import math
import resource
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from impasto.kit.http.connections import ConnectionLimits, limited_protocol
from impasto.kit.logging import get_logger

log = get_logger(__name__)

LISTEN_BACKLOG = 2048
# Descriptors the process needs besides its connections: database, files being read or
# written, runner pipes, logs.
FD_HEADROOM = 512


@dataclass(frozen=True, slots=True)
class ServerLimits:
    connections: ConnectionLimits
    keep_alive_timeout: int = 5


def server_config(
    app: ASGIApp,
    limits: ServerLimits,
    *,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> uvicorn.Config:
    """The uvicorn configuration for ``app``."""
    return uvicorn.Config(
        app,
        http=limited_protocol(limits.connections),
        timeout_keep_alive=limits.keep_alive_timeout,
        backlog=LISTEN_BACKLOG,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )


def raise_open_file_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit; returns the soft limit.

    Many systems start processes at a soft limit of 1024 while allowing far more; a server
    that hits it can no longer accept a connection, open a file or answer ``/health``.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # An unlimited hard limit cannot be a soft one on every kernel; a million is plenty.
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft == resource.RLIM_INFINITY or target <= soft:
        return soft if soft != resource.RLIM_INFINITY else 1 << 20
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (OSError, ValueError) as exc:
        log.warning("open_file_limit_not_raised", soft=soft, hard=hard, error=str(exc))
        return soft
    return target


def connection_cap(wanted: int, open_files: int) -> int:
    """``wanted``, lowered if need be so that connections never exhaust ``open_files``.

    Besides the connections being served, a burst of up to the listen backlog can be
    accepted before the server refuses them, and the process keeps ``FD_HEADROOM`` for
    itself.
    """
    room = open_files - LISTEN_BACKLOG - FD_HEADROOM
    if wanted <= room:
        return wanted
    cap = max(room, math.ceil(open_files / 4))
    log.warning(
        "max_connections_lowered",
        hint="raise `ulimit -n` to serve more connections",
        wanted=wanted,
        cap=cap,
        open_file_limit=open_files,
    )
    return cap
