"""Which network addresses the server may reach on a user's behalf (SSRF policy).

Only globally routable unicast addresses are reachable by default. Loopback, private
(RFC 1918, ULA), link-local, CGNAT, multicast, unspecified, reserved and documentation
ranges are refused, also when hidden inside an IPv6 address (IPv4-mapped, 6to4, NAT64,
Teredo), unless the operator lists them in ``fetch_allowed_networks``. Names are resolved
here, once, and the connection goes to the vetted address, so DNS rebinding cannot swap in
another one between the check and the connect.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Protocol

import anyio

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` resolves to; raises ``OSError`` when it resolves to none."""
        ...


class SystemResolver:
    """The operating system's resolver (getaddrinfo), run off the event loop."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        seen: dict[IPAddress, None] = {}
        for _family, _type, _proto, _canonical, sockaddr in infos:
            address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
            seen[ipaddress.ip_address(address)] = None
        return list(seen)


class StaticResolver:
    """A fixed name -> addresses table, for tests."""

    def __init__(self, table: dict[str, Sequence[str]]) -> None:
        self._table = {
            name.lower(): [ipaddress.ip_address(a) for a in addresses]
            for name, addresses in table.items()
        }

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            return list(self._table[host.lower()])
        except KeyError:
            raise OSError(f"unknown host {host}") from None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, bool] | None:
    """The IPv4 address inside ``address``, and whether it is the real endpoint.

    IPv4-mapped, IPv4-compatible and NAT64 addresses *are* their IPv4 address; 6to4 and
    Teredo addresses carry one but route as IPv6.
    """
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped, True
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):  # not ::, ::1
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), True
    if address.sixtofour is not None:
        return address.sixtofour, False
    if address.teredo is not None:
        return address.teredo[1], False  # the client's address
    return None


def _category(address: IPAddress) -> str | None:
    """Why ``address`` is not publicly routable, or None when it is (first match wins)."""
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("shared (CGNAT)", isinstance(address, ipaddress.IPv4Address) and address in _CGNAT),
        ("private", address.is_private),
        ("reserved", address.is_reserved or not address.is_global),
    )
    return next((name for name, matches in checks if matches), None)


_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")


class AddressPolicy:
    def __init__(self, allowed: Iterable[str | IPNetwork] = ()) -> None:
        self.allowed: list[IPNetwork] = [ipaddress.ip_network(n, strict=False) for n in allowed]

    def _listed(self, address: IPAddress) -> bool:
        return any(address in network for network in self.allowed)

    def refusal(self, address: IPAddress) -> str | None:
        """A reason to refuse connecting to ``address``, or None when it may be reached."""
        if self._listed(address):
            return None
        if isinstance(address, ipaddress.IPv6Address):
            embedded = _embedded_ipv4(address)
            if embedded is not None:
                inner, is_endpoint = embedded
                reason = self.refusal(inner)
                if reason is not None:
                    return f"{reason} (inside {address})"
                if is_endpoint:
                    return None
        category = _category(address)
        return None if category is None else f"{category} address {address}"


def parse_ip(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is a literal one (brackets allowed), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
