from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from impasto.keys.repository import KeyRepository
from impasto.keys.secrets import (
    Credential,
    hash_secret,
    is_key_id,
    new_secret,
    parse_credential,
    secret_matches,
)
from impasto.kit.clock import Clock
from impasto.kit.errors import InvalidRequest, PermissionDenied, Unauthenticated
from impasto.kit.ids import IdGenerator
from impasto.kit.names import validate_owner_name
from impasto.kit.pagination import decode_cursor, encode_cursor
from impasto.kit.text import is_storable
from impasto.models import ApiKey, KeyScope

# Compared against when a key id is unknown, so both paths cost one hash and one compare.
_DUMMY_SHA256 = hash_secret("impasto-no-such-key")
MAX_ALIAS_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the owner they act for and what their key may do."""

    owner: str
    key_id: str
    scope: KeyScope

    def allows(self, required: KeyScope) -> bool:
        return self.scope is KeyScope.ADMIN or required is KeyScope.API


@dataclass(frozen=True, slots=True)
class KeyPage:
    keys: list[ApiKey]
    next_cursor: str | None


class KeyService:
    def __init__(self, session: Session, clock: Clock, ids: IdGenerator) -> None:
        self._repo = KeyRepository(session)
        self._clock = clock
        self._ids = ids

    def create(
        self, *, owner: str, scope: KeyScope, alias: str, created_by: str
    ) -> tuple[ApiKey, Credential]:
        try:
            validate_owner_name(owner)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from exc
        alias = alias.strip()
        if not alias or len(alias) > MAX_ALIAS_LENGTH:
            raise InvalidRequest(f"alias must be 1-{MAX_ALIAS_LENGTH} characters")
        if not is_storable(alias):
            raise InvalidRequest("alias must not contain control characters")
        now = self._clock.now()
        self._repo.ensure_account(owner, now)
        credential = Credential(key_id=self._ids.new(), secret=new_secret())
        key = ApiKey(
            key_id=credential.key_id,
            owner=owner,
            scope=scope.value,
            alias=alias,
            secret_sha256=hash_secret(credential.secret),
            created_by=created_by,
            created_at=now,
        )
        self._repo.add(key)
        return key, credential

    def bootstrap_admin(self, owner: str) -> Credential | None:
        """The first ADMIN key, when the database has no active key at all."""
        self._repo.serialize_bootstrap()
        if self._repo.count_active() > 0:
            return None
        _, credential = self.create(
            owner=owner, scope=KeyScope.ADMIN, alias="bootstrap admin key", created_by="serve"
        )
        return credential

    def list(
        self,
        *,
        owner: str | None,
        scope: KeyScope | None,
        limit: int,
        cursor: str | None,
    ) -> KeyPage:
        after = None
        if cursor:
            after = decode_cursor(cursor, frozenset({"after"}))["after"]
            if not isinstance(after, str) or not is_key_id(after):
                raise InvalidRequest("cursor is not one this server issued")
        rows = self._repo.list_active(
            owner=owner, scope=scope.value if scope else None, after=after, limit=limit + 1
        )
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor({"after": rows[-1].key_id}) if more else None
        return KeyPage(keys=rows, next_cursor=next_cursor)

    def revoke(self, key_id: str, *, owner: str | None = None) -> bool:
        """Revoke a key (of ``owner`` when given); True if this call revoked it."""
        return self._repo.revoke(key_id, owner=owner, scope=None, now=self._clock.now())

    def revoke_api_key(self, key_id: str, *, owner: str) -> None:
        """The Platform API's delete: API-scope keys only, idempotent, owner-confined."""
        if not is_key_id(key_id):
            return  # no key can have that id: already gone
        if self._repo.revoke(key_id, owner=owner, scope=KeyScope.API.value, now=self._clock.now()):
            return
        key = self._repo.get_active(key_id)
        if key is not None and key.owner == owner and key.scope == KeyScope.ADMIN.value:
            raise PermissionDenied("ADMIN keys are managed with `impasto keys revoke`")

    def authenticate(self, credential_text: str) -> Principal:
        credential = parse_credential(credential_text)
        key = self._repo.get_active(credential.key_id) if credential else None
        stored = key.secret_sha256 if key is not None else _DUMMY_SHA256
        matches = secret_matches(credential.secret if credential else "", stored)
        if key is None or not matches:
            raise Unauthenticated("Invalid API key")
        return Principal(owner=key.owner, key_id=key.key_id, scope=KeyScope(key.scope))
