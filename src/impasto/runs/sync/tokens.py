"""Short-lived realtime tokens (§3.5): what a browser may hold instead of a key.

A token names its owner, the key it came from and the app aliases it may open; it is
HMAC-signed with the server's signing secret and checked again against the key on every
connection, so revoking the key ends its tokens too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from impasto.keys.repository import KeyRepository
from impasto.keys.service import Principal
from impasto.kit.clock import Clock
from impasto.kit.errors import InvalidRequest, Unauthenticated
from impasto.kit.signing import Signer
from impasto.models import KeyScope

PURPOSE = "realtime"
MAX_SECONDS = 3600
MAX_APPS = 50


@dataclass(frozen=True)
class TokenRequest:
    allowed_apps: list[str]
    token_expiration: int


def issue(signer: Signer, clock: Clock, principal: Principal, asked: TokenRequest) -> str:
    apps = asked.allowed_apps
    if not apps or len(apps) > MAX_APPS or not all(0 < len(a) <= 255 for a in apps):
        raise InvalidRequest(f"allowed_apps must list 1 to {MAX_APPS} app aliases")
    if not 0 < asked.token_expiration <= MAX_SECONDS:
        raise InvalidRequest(f"token_expiration must be 1 to {MAX_SECONDS} seconds")
    expires = int(clock.now().timestamp()) + asked.token_expiration
    claims = {"o": principal.owner, "k": principal.key_id, "a": sorted(set(apps))}
    return signer.token(PURPOSE, claims, expires)


def check(signer: Signer, clock: Clock, session: Session, token: str, app_alias: str) -> Principal:
    """The principal a token stands for, if it is valid for ``app_alias`` right now."""
    claims = signer.read_token(PURPOSE, token, int(clock.now().timestamp()))
    if claims is None:
        raise Unauthenticated("Invalid or expired token")
    owner, key_id, apps = claims.get("o"), claims.get("k"), claims.get("a")
    if not isinstance(owner, str) or not isinstance(key_id, str) or not isinstance(apps, list):
        raise Unauthenticated("Invalid or expired token")
    if app_alias not in apps:
        raise Unauthenticated(f"This token does not allow the app {app_alias!r}")
    key = KeyRepository(session).get_active(key_id)
    if key is None or key.owner != owner:
        raise Unauthenticated("The key behind this token was revoked")
    return Principal(owner=owner, key_id=key_id, scope=KeyScope(key.scope))
