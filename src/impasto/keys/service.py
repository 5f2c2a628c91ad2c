from __future__ import annotations

from collections.abc import Sequence
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
from impasto.kit.cursors import NOT_OURS, Cursors
from impasto.kit.errors import InvalidRequest, NotFound, PermissionDenied, Unauthenticated
from impasto.kit.ids import IdGenerator
from impasto.kit.names import validate_owner_name
from impasto.kit.text import is_storable
from impasto.models import ApiKey, KeyScope
from impasto.sdk.naming import validate_app_name

# Compared against when a key id is unknown, so both paths cost one hash and one compare.
_DUMMY_SHA256 = hash_secret("impasto-no-such-key")
MAX_ALIAS_LENGTH = 255
# A key page's cursor is the last key id, whatever the filters: it is not bound to them.
PAGE_QUERY = {"list": "keys"}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the owner they act for and what their key may do."""

    owner: str
    key_id: str
    scope: KeyScope
    # WORKER keys: the app ids it may serve; None: every app.
    apps: frozenset[str] | None = None

    def allows(self, required: KeyScope) -> bool:
        # WORKER stands apart: the operator's workers are no tenant, and no tenant key
        # (ADMIN included) is a worker, or one owner could serve another's requests.
        if KeyScope.WORKER in (self.scope, required):
            return self.scope is required
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
        self,
        *,
        owner: str,
        scope: KeyScope,
        alias: str,
        created_by: str,
        apps: Sequence[str] | None = None,
    ) -> tuple[ApiKey, Credential]:
        """A new key; ``apps`` binds a WORKER key to the apps it may serve (None: all)."""
        try:
            validate_owner_name(owner)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from exc
        alias = alias.strip()
        if not alias or len(alias) > MAX_ALIAS_LENGTH:
            raise InvalidRequest(f"alias must be 1-{MAX_ALIAS_LENGTH} characters")
        if not is_storable(alias):
            raise InvalidRequest("alias must not contain control characters")
        if apps is not None and scope is not KeyScope.WORKER:
            raise InvalidRequest("only WORKER keys are bound to apps")
        bound = _app_ids(apps) if apps is not None else None
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
            apps=bound,
        )
        self._repo.add(key)
        return key, credential

    def bootstrap_admin(self, owner: str) -> Credential | None:
        """The first ADMIN key, when the database has no active tenant key (API or ADMIN):
        WORKER keys manage nothing, so a database holding only those still gets one."""
        self._repo.serialize_bootstrap()
        if self._repo.count_active_tenant_keys() > 0:
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
        cursors: Cursors,
    ) -> KeyPage:
        after = None
        if cursor:
            [after] = cursors.read(cursor, PAGE_QUERY, ["str"])
            if not is_key_id(after):
                raise InvalidRequest(NOT_OURS)
        rows = self._repo.list_active(
            owner=owner, scope=scope.value if scope else None, after=after, limit=limit + 1
        )
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = cursors.issue(PAGE_QUERY, [rows[-1].key_id]) if more else None
        return KeyPage(keys=rows, next_cursor=next_cursor)

    def revoke(
        self, key_id: str, *, owner: str | None = None, scope: KeyScope | None = None
    ) -> bool:
        """Revoke a key (of ``owner``, of ``scope``, when given); True if this call did."""
        return self._repo.revoke(
            key_id, owner=owner, scope=scope.value if scope else None, now=self._clock.now()
        )

    def revoke_api_key(self, key_id: str, *, owner: str) -> None:
        """The Platform API's delete: API-scope keys of the caller's owner only.

        Idempotent for the owner's own keys (already revoked is fine); any other id, of
        another owner or of no key at all, is the same 404, so ids cannot be probed."""
        key = self._repo.get(key_id) if is_key_id(key_id) else None
        if key is None or key.owner != owner:
            raise NotFound("API key not found")
        if key.scope == KeyScope.API.value:
            self._repo.revoke(key_id, owner=owner, scope=key.scope, now=self._clock.now())
            return
        if key.revoked_at is None:
            command = (
                "workers token revoke" if key.scope == KeyScope.WORKER.value else "keys revoke"
            )
            raise PermissionDenied(f"{key.scope} keys are managed with `impasto {command}`")

    def authenticate(self, credential_text: str) -> Principal:
        credential = parse_credential(credential_text)
        key = self._repo.get_active(credential.key_id) if credential else None
        stored = key.secret_sha256 if key is not None else _DUMMY_SHA256
        matches = secret_matches(credential.secret if credential else "", stored)
        if key is None or not matches:
            raise Unauthenticated("Invalid API key")
        return Principal(
            owner=key.owner,
            key_id=key.key_id,
            scope=KeyScope(key.scope),
            apps=frozenset(key.apps) if key.apps is not None else None,
        )


def _app_ids(apps: Sequence[str]) -> list[str]:
    """``owner/name`` app ids, checked and deduplicated (the apps need not exist yet)."""
    if not apps:
        raise InvalidRequest("a worker key bound to no app could serve nothing")
    checked: set[str] = set()
    for app_id in apps:
        owner, sep, name = app_id.partition("/")
        try:
            if not sep:
                raise ValueError(f"invalid app id {app_id!r}: use owner/name")
            validate_owner_name(owner)
            validate_app_name(name)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from exc
        checked.add(app_id)
    return sorted(checked)
