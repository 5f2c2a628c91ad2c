"""Which route of this server answers a fal URL the proxy is asked to reach.

``@fal-ai/client`` sends every call it makes through ``dispatchRequest`` (run, stream,
queue submit/status/result/cancel, storage initiate, realtime tokens) to the proxy, with
the fal URL it would have called in ``x-fal-target-url``. Uploads then ``PUT`` straight to
the ``upload_url`` this server returned, and status/result URLs are rebuilt by the client
from fal's hosts, so only fal's hosts and, for callers that follow the URLs this server
returns (``status_url``...), this server's own bases need a mapping.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import unquote, urlsplit

from impasto.kit.errors import AppError, InvalidRequest

PROXY_PATH = "/api/fal/proxy"
TARGET_HEADER = "x-fal-target-url"
TARGET_QUERY = "target_url"

# The check fal's own proxy makes: a host of fal.run or fal.ai, or a subdomain of one.
_FAL_HOST = re.compile(r"(\.|^)fal\.(run|ai)$")

# fal's hosts and where this server serves the same paths.
PREFIXES: dict[str, str] = {
    "fal.run": "/run",
    "queue.fal.run": "/queue",
    "rest.fal.ai": "/rest",
    "rest.alpha.fal.ai": "/rest",
    "api.fal.ai": "",  # the Platform APIs: /v1/... on both
}


class TargetNotAllowed(AppError):
    """412, as fal's proxy answers for a target that is not one of fal's hosts."""

    status_code: ClassVar[int] = 412
    platform_type: ClassVar[str] = "validation_error"
    run_type: ClassVar[str] = "bad_request"


@dataclass(frozen=True)
class Target:
    """The route a proxied call goes to: ``raw_path`` percent-encoded as sent, ``path``
    decoded (the ASGI scope carries both), ``query`` without its ``?``."""

    raw_path: str
    query: str

    @property
    def path(self) -> str:
        return unquote(self.raw_path)


def resolve(url: str | None, own_bases: Sequence[str]) -> Target:
    """The route of this server that answers ``url``: 400 when there is none, 412 for a
    host that is neither fal's nor this server's."""
    if not url:
        raise InvalidRequest(f"Missing the {TARGET_HEADER} header")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequest(f"{TARGET_HEADER} must be an absolute http(s) URL")
    raw_path = parts.path or "/"
    if any(segment in (".", "..") for segment in unquote(raw_path).split("/")):
        raise InvalidRequest(f"{TARGET_HEADER} must not contain dot segments")
    host = parts.hostname.lower()
    if _FAL_HOST.search(host):
        prefix = PREFIXES.get(host)
        if prefix is None or parts.port is not None:
            raise TargetNotAllowed(f"Impasto serves nothing in place of {parts.netloc}")
        return Target(prefix + raw_path, parts.query)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    for base in own_bases:
        own = urlsplit(base)
        if origin == f"{own.scheme}://{own.netloc}".lower():
            prefix = own.path.rstrip("/")
            if raw_path == prefix or raw_path.startswith(prefix + "/"):
                path = raw_path[len(prefix) :] or "/"
                if path.rstrip("/") == PROXY_PATH:
                    raise TargetNotAllowed("The proxy does not proxy itself")
                return Target(path, parts.query)
    raise TargetNotAllowed(f"Target host {parts.hostname} is not one of fal's")
