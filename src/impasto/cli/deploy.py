"""``impasto deploy PATH[::Class]``: ship an app's code to a server as a new revision.

Like ``fal deploy``: the class is imported here to read its endpoints, schemas, settings
and requirements (keep heavy imports inside ``setup()``), and the source goes to the
server, which stores it; every worker fetches and imports that revision. Nothing needs to
be installed on the server or the workers but the app's ``requirements``.
"""

from __future__ import annotations

import base64
import os
from enum import StrEnum
from typing import Annotated, Any

import httpx
import typer

from impasto.cli.common import JsonOption, PublicOption, echo_json, fail
from impasto.cli.packing import PackingError, locate, pack

DEFAULT_URL = "http://127.0.0.1:8000"


class AuthMode(StrEnum):
    PRIVATE = "private"
    PUBLIC = "public"


DEPLOY_TIMEOUT = 120.0

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url", help=f"The server [env: IMPASTO_URL, default: {DEFAULT_URL}]", show_default=False
    ),
]
KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key",
        help="An ADMIN key, key_id:key_secret [env: IMPASTO_KEY or FAL_KEY]",
        show_default=False,
    ),
]


def deploy(
    target: Annotated[str, typer.Argument(metavar="PATH[::CLASS]")],
    name: Annotated[
        str | None,
        typer.Option("--name", "--app-name", help="App name [default: the class's]"),
    ] = None,
    auth: Annotated[
        AuthMode | None,
        typer.Option(help="fal's spelling of --public/--private", show_default=False),
    ] = None,
    public: PublicOption = None,
    url: UrlOption = None,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Deploy (or redeploy) an app's code; its endpoints join the catalog."""
    if auth is not None:
        if public is not None and public != (auth is AuthMode.PUBLIC):
            fail("--auth and --public/--private disagree", code=2)
        public = auth is AuthMode.PUBLIC
    answer = send(target, name=name, public=public, url=url, key=key)
    if as_json:
        echo_json(answer)
        return
    app, revision = answer["app"], answer["revision"]
    typer.echo(f"Deployed {app['app_id']} revision {revision['revision_id']}")
    for endpoint in app["endpoints"]:
        typer.echo(f"  {endpoint}")


def send(
    target: str,
    *,
    name: str | None = None,
    public: bool | None = None,
    url: str | None = None,
    key: str | None = None,
) -> dict[str, Any]:
    """Pack ``target`` and POST it to ``/v1/apps``; the server's answer."""
    try:
        packed = pack(locate(target))
    except PackingError as exc:
        fail(str(exc))
    body: dict[str, Any] = {
        "entry": packed.entry,
        "manifest": packed.manifest,
        "code": base64.b64encode(packed.code).decode(),
    }
    if name is not None:
        body["name"] = name
    if public is not None:
        body["public"] = public
    server = (url or os.environ.get("IMPASTO_URL") or DEFAULT_URL).rstrip("/")
    credential = key or os.environ.get("IMPASTO_KEY") or os.environ.get("FAL_KEY")
    if not credential:
        fail("no key: pass --key or set IMPASTO_KEY (an ADMIN key)", code=2)
    try:
        response = httpx.post(
            f"{server}/v1/apps",
            json=body,
            headers={"Authorization": f"Key {credential}"},
            timeout=DEPLOY_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        fail(f"cannot reach {server}: {exc}")
    if response.status_code != 201:
        fail(f"{server} refused the deploy ({response.status_code}): {_detail(response)}")
    answer: dict[str, Any] = response.json()
    return answer


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:500]
    if isinstance(detail, list):
        return "; ".join(str(item.get("msg", item)) for item in detail if isinstance(item, dict))
    return str(detail)
