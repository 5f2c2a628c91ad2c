"""fal's file ACLs and object lifecycle preferences.

An ACL is a default decision plus per-user rules; a user here is an owner (account) name.
``allow`` serves the file, ``forbid`` answers 403 and ``hide`` answers 404 as if the file
did not exist. The file's own owner is always allowed; a valid signed URL overrides the
ACL. With no ACL given, uploads are public (``allow``), as fal's CDN files are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from impasto.kit.errors import InvalidRequest

MAX_RULES = 100
MAX_LIFECYCLE_HEADER = 8192
# The deepest valid value is {"initial_acl": {"rules": [{...}]}}: four levels. Deeper JSON
# is refused before parsing, as the parser recurses once per level (RecursionError, a 500).
MAX_LIFECYCLE_DEPTH = 4
MAX_EXPIRATION_SECONDS = 100 * 365 * 86400


class Decision(StrEnum):
    ALLOW = "allow"
    FORBID = "forbid"
    HIDE = "hide"


@dataclass(frozen=True, slots=True)
class Acl:
    default: Decision
    rules: tuple[tuple[str, Decision], ...] = ()

    def decide(self, *, file_owner: str, caller: str | None) -> Decision:
        if caller is not None and caller == file_owner:
            return Decision.ALLOW
        for user, decision in self.rules:
            if caller is not None and user == caller:
                return decision
        return self.default

    @property
    def is_public(self) -> bool:
        return self.default is Decision.ALLOW

    def to_json(self) -> dict[str, Any]:
        return {
            "default": self.default.value,
            "rules": [{"user": user, "decision": decision.value} for user, decision in self.rules],
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Acl:
        """Parse an ACL from a request body or a stored row; malformed input is a 400."""
        if not isinstance(value, dict):
            raise InvalidRequest("initial_acl must be an object")
        default = _decision(value.get("default", Decision.ALLOW.value), "default")
        raw_rules = value.get("rules") or []
        if not isinstance(raw_rules, list) or len(raw_rules) > MAX_RULES:
            raise InvalidRequest(f"rules must be a list of at most {MAX_RULES} rules")
        rules: list[tuple[str, Decision]] = []
        for rule in raw_rules:
            if not isinstance(rule, dict) or set(rule) != {"user", "decision"}:
                raise InvalidRequest("each rule must be {'user': ..., 'decision': ...}")
            user = rule["user"]
            if not isinstance(user, str) or not 1 <= len(user) <= 255:
                raise InvalidRequest("rule user must be a non-empty string")
            rules.append((user, _decision(rule["decision"], "decision")))
        return cls(default=default, rules=tuple(rules))

    def keep_users(self, known: set[str]) -> Acl:
        """fal drops rules that name users that do not exist."""
        return Acl(self.default, tuple((u, d) for u, d in self.rules if u in known))


PUBLIC = Acl(Decision.ALLOW)
PRIVATE = Acl(Decision.FORBID)


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """What an upload asked for; None fields fall back to the owner's storage settings."""

    expiration_seconds: int | None = None
    acl: Acl | None = None


def parse_lifecycle(header: str | None) -> Lifecycle:
    """Parse ``X-Fal-Object-Lifecycle[-Preference]``: JSON, validated, else a 400."""
    if header is None or not header.strip():
        return Lifecycle()
    if len(header) > MAX_LIFECYCLE_HEADER:
        raise InvalidRequest(
            f"X-Fal-Object-Lifecycle is too long (at most {MAX_LIFECYCLE_HEADER} characters)"
        )
    if _nesting(header) > MAX_LIFECYCLE_DEPTH:
        raise InvalidRequest(
            f"X-Fal-Object-Lifecycle is nested too deeply (at most {MAX_LIFECYCLE_DEPTH} levels)"
        )
    try:
        value = json.loads(header, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise InvalidRequest(f"X-Fal-Object-Lifecycle must be a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidRequest("X-Fal-Object-Lifecycle must be a JSON object")
    unknown = set(value) - {"expiration_duration_seconds", "initial_acl"}
    if unknown:
        raise InvalidRequest(f"unknown lifecycle fields: {', '.join(sorted(unknown))}")
    expiration = value.get("expiration_duration_seconds")
    if expiration is not None:
        expiration = check_expiration(expiration)
    acl = value.get("initial_acl")
    return Lifecycle(expiration_seconds=expiration, acl=None if acl is None else Acl.from_json(acl))


def check_expiration(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest("expiration_duration_seconds must be an integer")
    if not 1 <= value <= MAX_EXPIRATION_SECONDS:
        raise InvalidRequest(
            f"expiration_duration_seconds must be between 1 and {MAX_EXPIRATION_SECONDS}"
        )
    return value


def _nesting(text: str) -> int:
    """How deeply arrays and objects nest in JSON ``text`` (brackets in strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _no_constant(name: str) -> object:
    # Python's json accepts NaN and Infinity; JSON does not, and no field here takes them.
    raise ValueError(f"{name} is not valid JSON")


def may_read(acl: dict[str, Any], *, file_owner: str, caller: str) -> bool:
    """Whether ``caller`` may read a stored file: its owner always, others as its ACL says."""
    if caller == file_owner:
        return True
    return Acl.from_json(acl).decide(file_owner=file_owner, caller=caller) is Decision.ALLOW


def _decision(value: object, field: str) -> Decision:
    if not isinstance(value, str) or value not in Decision.__members__.values():
        raise InvalidRequest(f"{field} must be one of allow, forbid, hide")
    return Decision(value)
