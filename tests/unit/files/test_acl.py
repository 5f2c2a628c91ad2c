"""fal's ACL decisions and lifecycle headers."""

from __future__ import annotations

import pytest

from impasto.files.acl import Acl, Decision, parse_lifecycle
from impasto.kit.errors import InvalidRequest


def test_decisions() -> None:
    acl = Acl(Decision.HIDE, (("globex", Decision.ALLOW), ("initech", Decision.FORBID)))
    assert acl.decide(file_owner="acme", caller="acme") is Decision.ALLOW
    assert acl.decide(file_owner="acme", caller="globex") is Decision.ALLOW
    assert acl.decide(file_owner="acme", caller="initech") is Decision.FORBID
    assert acl.decide(file_owner="acme", caller=None) is Decision.HIDE
    assert Acl.from_json(acl.to_json()) == acl
    assert acl.keep_users({"globex"}).rules == (("globex", Decision.ALLOW),)


def test_lifecycle_header() -> None:
    assert parse_lifecycle(None).acl is None
    parsed = parse_lifecycle(
        '{"expiration_duration_seconds": 60, "initial_acl": {"default": "forbid", '
        '"rules": [{"user": "globex", "decision": "allow"}]}}'
    )
    assert parsed.expiration_seconds == 60
    assert parsed.acl == Acl(Decision.FORBID, (("globex", Decision.ALLOW),))
    # fal-client sends only the fields that were set.
    assert parse_lifecycle('{"initial_acl": {"rules": []}}').acl == Acl(Decision.ALLOW)


@pytest.mark.parametrize(
    "header",
    [
        "{",
        "[]",
        '{"expiration_duration_seconds": 0}',
        '{"expiration_duration_seconds": true}',
        '{"expiration_duration_seconds": "60"}',
        '{"initial_acl": {"default": "maybe"}}',
        '{"initial_acl": {"rules": [{"user": "x"}]}}',
        '{"unknown": 1}',
        "x" * 9000,
    ],
)
def test_bad_lifecycle_headers(header: str) -> None:
    with pytest.raises(InvalidRequest):
        parse_lifecycle(header)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("[" * 5000, "nested too deeply"),
        ('{"initial_acl": ' * 300 + "1" + "}" * 300, "nested too deeply"),
        ('{"initial_acl": {"rules": [{"user": [1]}]}}', "nested too deeply"),
        ('{"expiration_duration_seconds": NaN}', "NaN is not valid JSON"),
        ('{"expiration_duration_seconds": -Infinity}', "-Infinity is not valid JSON"),
        ('{"expiration_duration_seconds": 1' + "0" * 5000 + "}", "must be a JSON object"),
        ("[" * 9000, "too long"),
    ],
)
def test_hostile_lifecycle_json_is_a_clear_400(header: str, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        parse_lifecycle(header)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    header = '{"initial_acl": {"rules": [{"user": "[[[{{\\"[[", "decision": "allow"}]}}'
    assert parse_lifecycle(header).acl == Acl(Decision.ALLOW, (('[[[{{"[[', Decision.ALLOW),))
