"""Who is on the other end: the real client address (behind trusted proxies only), and
whether an address we are about to call is a public one."""

from __future__ import annotations

import ipaddress
from typing import Any

from litestar.connection import ASGIConnection

from app.settings import get_settings


def _trusted(address: str, networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The peer address; behind a trusted proxy, the last untrusted `X-Forwarded-For` hop."""
    peer = connection.client.host if connection.client else "unknown"
    trusted = get_settings().trusted_proxies
    if not trusted or not _trusted(peer, trusted):
        return peer
    forwarded = connection.headers.get("x-forwarded-for", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated `::a.b.c.d`
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # SIIT `::ffff:0:a.b.c.d`
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")  # deprecated, still routed inside some sites


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries to its destination: mapped, 6to4, Teredo (the
    client), NAT64 and the two SIIT forms. Python counts most of these ranges as global,
    so `[64:ff9b::a9fe:a9fe]` would otherwise reach 169.254.169.254 through a NAT64."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in net for net in (*_NAT64, _IPV4_COMPATIBLE, _IPV4_TRANSLATED)):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast: not private, loopback, link-local, reserved or multicast
    (an IPv6 address that carries an IPv4 one counts as that IPv4 address)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _SITE_LOCAL:
            return False
        inner = embedded_ipv4(address)
        if inner is not None:
            return inner.is_global and not inner.is_multicast
    return address.is_global and not address.is_multicast


def loopback_receivers() -> bool:
    """Dev and test run webhook receivers on this machine; production never calls itself."""
    return get_settings().env in ("dev", "test")


def may_call(address: IPAddress, *, allow_loopback: bool) -> bool:
    """An address outgoing requests (webhooks) may reach: public, or loopback if allowed."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return is_public(address) or (allow_loopback and address.is_loopback)
