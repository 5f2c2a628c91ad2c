"""FastAPI dependencies every domain's endpoints share: the container and transactions.

Sessions use ``scope="function"`` so the commit happens before the response is sent: a
client never sees success for a transaction that then failed to commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from impasto.container import Container


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def _read_session(request: Request) -> Iterator[Session]:
    with get_container(request).database.session(write=False) as session:
        yield session


def _write_session(request: Request) -> Iterator[Session]:
    with get_container(request).database.session(write=True) as session:
        yield session


ContainerDep = Annotated[Container, Depends(get_container)]
ReadSession = Annotated[Session, Depends(_read_session, scope="function")]
WriteSession = Annotated[Session, Depends(_write_session, scope="function")]
