"""Server-rendered page shells: one template per kind of page, a fresh nonce per response
and the headers that keep the pages from being framed, sniffed or fed foreign scripts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse

_templates = Environment(
    loader=PackageLoader("impasto.studio", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    auto_reload=False,
)


@dataclass(frozen=True, slots=True)
class Section:
    page: str
    href: str
    label: str
    admin: bool = False


SECTIONS = (
    Section("models", "/models", "Models"),
    Section("requests", "/requests", "Requests"),
    Section("assets", "/assets", "Assets"),
    Section("keys", "/keys", "Keys", admin=True),
    Section("apps", "/apps", "Apps", admin=True),
)


def content_security_policy(nonce: str) -> str:
    # Scripts: our own files and the nonce'd entry point only; no inline handlers, no eval.
    # Images and media from this server (files, thumbnails) or blobs the page made itself.
    return (
        "default-src 'none'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; "
        "img-src 'self' data: blob:; "
        "media-src 'self' blob:; "
        "connect-src 'self'; "
        "font-src 'self'; "
        "form-action 'self'; "
        "base-uri 'none'; "
        "object-src 'none'; "
        "frame-ancestors 'none'"
    )


def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    nonce = secrets.token_urlsafe(18)
    body = _templates.get_template(template).render(nonce=nonce, sections=SECTIONS, **context)
    return HTMLResponse(
        body,
        status_code=status_code,
        headers={
            "Content-Security-Policy": content_security_policy(nonce),
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store",
        },
    )
