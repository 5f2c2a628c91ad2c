"""The SSRF address policy: what may be reached without the operator's say-so."""

from __future__ import annotations

import ipaddress

import pytest

from impasto.kit.egress.addresses import AddressPolicy, StaticResolver, SystemResolver, parse_ip

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("::", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "private"),  # reserved (class E); Python files it under private
        ("255.255.255.255", "private"),
        ("192.0.2.1", "private"),  # documentation
        ("::ffff:127.0.0.1", "loopback address 127.0.0.1 (inside"),
        ("::ffff:10.0.0.1", "private address 10.0.0.1 (inside"),
        ("64:ff9b::a9fe:a9fe", "link-local address 169.254.169.254 (inside"),
        ("2002:7f00:1::1", "loopback address 127.0.0.1 (inside"),
        ("::7f00:1", "loopback address 127.0.0.1 (inside"),
    ],
)
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    refusal = AddressPolicy().refusal(ipaddress.ip_address(address))
    assert refusal is not None
    assert refusal.startswith(reason)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert AddressPolicy().refusal(ipaddress.ip_address(address)) is None


def test_the_allow_list_opens_exactly_what_it_names() -> None:
    policy = AddressPolicy(["10.0.0.0/24", "127.0.0.1/32", "fd00::/8"])
    allowed = ["10.0.0.9", "127.0.0.1", "::ffff:127.0.0.1", "fd00::5"]
    refused = ["10.0.1.9", "127.0.0.2", "192.168.0.1", "fe80::1"]
    assert [policy.refusal(ipaddress.ip_address(a)) for a in allowed] == [None] * 4
    assert all(policy.refusal(ipaddress.ip_address(a)) for a in refused)


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", "127.0.0.1"), ("[::1]", "::1"), ("::1", "::1"), ("example.com", None)],
)
def test_parse_ip(host: str, expected: str | None) -> None:
    parsed = parse_ip(host)
    assert (str(parsed) if parsed else None) == expected


async def test_static_resolver() -> None:
    resolver = StaticResolver({"Media.Example": ["10.0.0.1", "::1"]})
    assert [str(a) for a in await resolver.resolve("media.example", 80)] == ["10.0.0.1", "::1"]
    with pytest.raises(OSError, match="unknown host"):
        await resolver.resolve("other.example", 80)


async def test_system_resolver_resolves_localhost() -> None:
    addresses = await SystemResolver().resolve("localhost", 80)
    assert addresses
    assert all(address.is_loopback for address in addresses)
