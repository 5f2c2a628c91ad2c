"""What the synchronous and WebSocket run surfaces receive beyond the queue's own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from impasto.deps import ClockDep, DatabaseDep
from impasto.files.deps import FilesCoreDep
from impasto.keys.service import Principal
from impasto.kit.clock import Clock
from impasto.kit.db import Database
from impasto.kit.signing import Signer
from impasto.runs.sync import tokens


@dataclass(frozen=True, slots=True)
class RealtimeTokens:
    """Issues realtime tokens and reads them back (``tokens.py``), with the server's signer."""

    database: Database
    signer: Signer
    clock: Clock

    def issue(self, principal: Principal, asked: tokens.TokenRequest) -> str:
        return tokens.issue(self.signer, self.clock, principal, asked)

    def check(self, token: str, app_alias: str) -> Principal:
        """The principal ``token`` stands for, checked in a read transaction of its own."""
        with self.database.session(write=False) as session:
            return tokens.check(self.signer, self.clock, session, token, app_alias)


async def _realtime_tokens(
    database: DatabaseDep, files: FilesCoreDep, clock: ClockDep
) -> RealtimeTokens:
    return RealtimeTokens(database, files.signer, clock)


RealtimeTokensDep = Annotated[RealtimeTokens, Depends(_realtime_tokens)]
