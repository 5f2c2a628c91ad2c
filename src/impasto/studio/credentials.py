"""The sessions as a credential of the API: what ``keys.auth`` asks for a ``Session``."""

from __future__ import annotations

from impasto.keys.service import Principal
from impasto.kit.clock import Clock
from impasto.kit.db import Database
from impasto.kit.ids import IdGenerator
from impasto.studio.service import StudioSessions


class SessionStore:
    """Looks a session up in a read transaction of its own, like a key check."""

    def __init__(self, database: Database, clock: Clock, ids: IdGenerator) -> None:
        self._database = database
        self._clock = clock
        self._ids = ids

    def principal(self, secret: str) -> Principal:
        with self._database.session(write=False) as session:
            return StudioSessions(session, self._clock, self._ids).principal(secret)
