"""What every domain's endpoints share: the values the composition root provides, and
transactions.

The composition root (``container.py``) builds the backends once and sits above every
domain, so no domain imports it. Instead, the code that needs a value declares a typed
slot for it (``Provided``), ``app.py`` fills each slot from the container when it builds
the app, and each domain's ``deps.py`` turns slots into ready services, which endpoints
receive as FastAPI dependencies (docs/architecture/layers.md).

Providers that only assemble objects are ``async def``: FastAPI runs them on the event
loop, where a plain ``def`` dependency would cost a hop to the thread pool each.

Sessions use ``scope="function"`` so the commit happens before the response is sent: a
client never sees success for a transaction that then failed to commit. Within one
request every dependency that asks for ``WriteSession`` shares the one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Generic, TypeVar, cast

from fastapi import Depends
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from impasto.config import Settings
from impasto.kit.clock import Clock
from impasto.kit.cursors import Cursors
from impasto.kit.db import Database
from impasto.kit.http.base_url import base_url, own_bases
from impasto.kit.ids import IdGenerator

T = TypeVar("T")


class Provided(Generic[T]):
    """A value the composition root provides to endpoints: a FastAPI dependency.

    Declared, with its type, next to the code that needs it; ``provide`` fills it (from
    ``app.py`` only), and mypy checks there that the value has the declared type.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    async def __call__(self, connection: HTTPConnection) -> T:
        return self.get(connection)

    def get(self, connection: HTTPConnection) -> T:
        """The value, for code that runs outside dependency injection."""
        values: dict[Provided[Any], object] = connection.app.state.provided
        try:
            return cast(T, values[self])
        except KeyError:
            raise LookupError(f"nothing provides {self.name!r}: see app.py") from None

    def __repr__(self) -> str:
        return f"Provided({self.name!r})"


def provide(app: Starlette, slot: Provided[T], value: T) -> None:
    if not hasattr(app.state, "provided"):
        app.state.provided = {}
    app.state.provided[slot] = value


DATABASE = Provided[Database]("database")
CLOCK = Provided[Clock]("clock")
IDS = Provided[IdGenerator]("ids")
SETTINGS = Provided[Settings]("settings")
CURSORS = Provided[Cursors]("cursors")

DatabaseDep = Annotated[Database, Depends(DATABASE)]
ClockDep = Annotated[Clock, Depends(CLOCK)]
IdsDep = Annotated[IdGenerator, Depends(IDS)]
SettingsDep = Annotated[Settings, Depends(SETTINGS)]
CursorsDep = Annotated[Cursors, Depends(CURSORS)]


async def _base_url(connection: HTTPConnection, settings: SettingsDep) -> str:
    return base_url(connection, settings.public_url)


async def _own_bases(connection: HTTPConnection, settings: SettingsDep) -> list[str]:
    return own_bases(connection, settings.public_url)


# Where the URLs this server returns point (kit/http/base_url.py).
BaseUrl = Annotated[str, Depends(_base_url)]
# The bases a URL of this server's own may come with.
OwnBases = Annotated[list[str], Depends(_own_bases)]


def _read_session(database: DatabaseDep) -> Iterator[Session]:
    with database.session(write=False) as session:
        yield session


def _write_session(database: DatabaseDep) -> Iterator[Session]:
    with database.session(write=True) as session:
        yield session


ReadSession = Annotated[Session, Depends(_read_session, scope="function")]
WriteSession = Annotated[Session, Depends(_write_session, scope="function")]
