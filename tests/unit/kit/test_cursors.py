"""Cursors: bound to their query, sealed with the server's secret, typed on the way back."""

import hashlib
import json
from datetime import UTC, datetime

import pytest

from impasto.kit import base64url
from impasto.kit.cursors import PURPOSE, Cursors, fingerprint
from impasto.kit.errors import InvalidRequest
from impasto.kit.signing import Signer

SIGNER = Signer(b"0123456789abcdef0123456789abcdef")
CURSORS = Cursors(SIGNER)
QUERY = {"mode": "search", "terms": ["flux"]}
NOT_OURS = "cursor is not one this server issued"


def test_round_trip_with_types() -> None:
    when = datetime(2026, 1, 2, tzinfo=UTC)
    token = CURSORS.issue(QUERY, [3, True, when, "acme/a"])
    assert CURSORS.read(token, QUERY, ["int", "bool", "datetime", "str"]) == [
        3,
        True,
        when,
        "acme/a",
    ]


def test_other_query_is_rejected() -> None:
    token = CURSORS.issue(QUERY, [1])
    with pytest.raises(InvalidRequest, match="different query"):
        CURSORS.read(token, {**QUERY, "terms": ["dev"]}, ["int"])


def test_another_servers_cursor_is_rejected() -> None:
    theirs = Cursors(Signer(b"another secret, 16+ bytes")).issue(QUERY, [1])
    with pytest.raises(InvalidRequest, match=NOT_OURS):
        CURSORS.read(theirs, QUERY, ["int"])


def test_a_checksum_recomputed_without_the_secret_is_rejected() -> None:
    """What the unkeyed cursors allowed: edit the position, recompute a plain digest."""
    payload = {"q": fingerprint(QUERY), "k": [2]}
    raw = base64url.encode(json.dumps(payload, separators=(",", ":")).encode())
    digest = base64url.encode(hashlib.sha256(f"{PURPOSE}\n{raw}".encode()).digest())
    with pytest.raises(InvalidRequest, match=NOT_OURS):
        CURSORS.read(f"{raw}.{digest}", QUERY, ["int"])


def test_an_edited_position_breaks_the_seal() -> None:
    payload, seal = CURSORS.issue(QUERY, [1]).split(".")
    claims = json.loads(base64url.decode(payload))
    claims["k"] = [2]
    edited = base64url.encode(json.dumps(claims, separators=(",", ":")).encode())
    with pytest.raises(InvalidRequest, match=NOT_OURS):
        CURSORS.read(f"{edited}.{seal}", QUERY, ["int"])


@pytest.mark.parametrize(
    "position",
    [[2.5], ["1"], [True], [1 << 63], [1, 2], ["a\x00b"], "1"],
)
def test_sealed_positions_are_still_type_checked(position: object) -> None:
    """Only this server seals cursors, but a position reaches SQL: it is checked anyway."""
    token = SIGNER.seal(PURPOSE, {"q": fingerprint(QUERY), "k": position})
    with pytest.raises(InvalidRequest, match=NOT_OURS):
        CURSORS.read(token, QUERY, ["int"] if position != ["a\x00b"] else ["str"])


@pytest.mark.parametrize("cursor", ["", "!!!", "Mg==", "e30", "e30.", "a.b.c", "ÿÿ.x"])
def test_foreign_cursors_are_rejected(cursor: str) -> None:
    with pytest.raises(InvalidRequest, match=NOT_OURS):
        CURSORS.read(cursor, QUERY, ["int"])


def test_a_long_cursor_is_rejected_before_anything_else() -> None:
    with pytest.raises(InvalidRequest, match="too long"):
        CURSORS.read("a" * 2000, QUERY, ["int"])


def test_a_sealed_value_without_position_is_rejected() -> None:
    token = SIGNER.seal(PURPOSE, {"q": fingerprint(QUERY)})
    with pytest.raises(InvalidRequest, match=NOT_OURS):
        CURSORS.read(token, QUERY, ["int"])


def test_tokens_of_another_purpose_are_not_cursors() -> None:
    token = SIGNER.seal("realtime", {"q": fingerprint(QUERY), "k": [1]})
    with pytest.raises(InvalidRequest, match=NOT_OURS):
        CURSORS.read(token, QUERY, ["int"])
