"""The studio's own routes: sign-in, sign-out, the page shells and their static files.

Every page is a shell; its script reads the data from the public API with the session
cookie, so the studio sees exactly what the signed-in owner's key sees."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from starlette.responses import RedirectResponse, Response

from impasto import __version__
from impasto.deps import OwnBases
from impasto.keys.service import Principal
from impasto.kit.errors import AppError
from impasto.kit.http.bodies import BoundedRoute
from impasto.models import KeyScope
from impasto.studio.cookies import clear_session, session_secret, set_session
from impasto.studio.deps import SignedIn, WriteStudioSessions
from impasto.studio.pages import render
from impasto.studio.static_files import static_file
from impasto.studio.tokens import csrf_matches, csrf_token

router = APIRouter(route_class=BoundedRoute, include_in_schema=False)

HOME = "/models"
MAX_KEY = 200  # key_id (36) + ":" + secret (at most 128), with room for spaces


# A path of this site in URL characters only: browsers drop tabs and newlines and read
# "\\" as "/", which would turn "/\t/evil" or "/\\evil" into another origin.
_LOCAL_PATH = re.compile(r"^/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$")


def _local(target: str | None) -> str:
    """Where to go after signing in: a path of this site, never another origin."""
    return target if target and _LOCAL_PATH.fullmatch(target) else HOME


def _sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)


def _page(request: Request, who: Principal, page: str, title: str, arg: str = "") -> Response:
    secret = session_secret(request) or ""
    return render(
        "page.html",
        page=page,
        title=title,
        arg=arg,
        owner=who.owner,
        admin=who.scope is KeyScope.ADMIN,
        scope=who.scope.value,
        csrf=csrf_token(secret),
        version=__version__,
    )


@router.get("/")
def home(who: SignedIn) -> RedirectResponse:
    return RedirectResponse(HOME if who else "/sign-in", status_code=303)


@router.get("/sign-in")
def sign_in_form(who: SignedIn, next: str | None = None) -> Response:
    if who is not None:
        return RedirectResponse(_local(next), status_code=303)
    return render("sign_in.html", next=_local(next), error=None, version=__version__)


def _foreign(request: Request, bases: list[str]) -> bool:
    """A form posted from another site's page (login CSRF): its Origin is not ours."""
    origin = request.headers.get("origin")
    return origin is not None and origin.rstrip("/") not in {base.rstrip("/") for base in bases}


FOREIGN = "This form can only be sent from this server's own sign-in page"


@router.post("/sign-in")
def sign_in(
    request: Request,
    sessions: WriteStudioSessions,
    bases: OwnBases,
    key: Annotated[str, Form(max_length=MAX_KEY)],
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    if _foreign(request, bases):
        return render(
            "sign_in.html", status_code=403, next=HOME, error=FOREIGN, version=__version__
        )
    try:
        opened = sessions.sign_in(key.strip())
    except AppError as exc:
        # The form again, with the reason; the key typed is not echoed back.
        return render(
            "sign_in.html",
            status_code=exc.status_code,
            next=_local(next),
            error=exc.message,
            version=__version__,
        )
    previous = session_secret(request)
    if previous is not None:
        sessions.sign_out(previous)  # signing in again replaces this browser's session
    response = RedirectResponse(_local(next), status_code=303)
    set_session(response, request, opened.secret, opened.expires_at)
    return response


@router.post("/sign-out")
def sign_out(
    request: Request,
    sessions: WriteStudioSessions,
    bases: OwnBases,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    secret = session_secret(request)
    if _foreign(request, bases) or (secret is not None and not csrf_matches(secret, csrf)):
        return render(
            "sign_in.html",
            status_code=403,
            next=HOME,
            error="Sign-out needs the page's token; use the Sign out button",
            version=__version__,
        )
    if secret is not None:
        sessions.sign_out(secret)
    response = RedirectResponse("/sign-in", status_code=303)
    clear_session(response, request)
    return response


def _section(page: str, title: str, *, admin: bool = False) -> None:
    def show(request: Request, who: SignedIn) -> Response:
        if who is None:
            return _sign_in_redirect(request)
        return _page(request, who, page, title)

    show.__name__ = f"{page}_page"
    router.add_api_route(f"/{page}", show, methods=["GET"])


for _name, _title in (
    ("models", "Models"),
    ("requests", "Requests"),
    ("assets", "Assets"),
    ("keys", "Keys"),
    ("apps", "Apps"),
):
    _section(_name, _title)


@router.get("/models/{endpoint_id:path}")
def model_page(
    request: Request, who: SignedIn, endpoint_id: Annotated[str, Path(max_length=300)]
) -> Response:
    if who is None:
        return _sign_in_redirect(request)
    return _page(request, who, "model", endpoint_id, arg=endpoint_id)


@router.get("/requests/{request_id}")
def request_page(
    request: Request, who: SignedIn, request_id: Annotated[str, Path(max_length=64)]
) -> Response:
    if who is None:
        return _sign_in_redirect(request)
    return _page(request, who, "request", f"Request {request_id}", arg=request_id)


@router.get("/assets/{asset_id}")
def asset_page(
    request: Request, who: SignedIn, asset_id: Annotated[str, Path(max_length=64)]
) -> Response:
    if who is None:
        return _sign_in_redirect(request)
    return _page(request, who, "asset", "Asset", arg=asset_id)


@router.get("/studio/static/{name}")
def static(request: Request, name: Annotated[str, Path(max_length=80)]) -> Response:
    found = static_file(name)
    if found is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    headers = {
        "ETag": found.etag,
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == found.etag:
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)
