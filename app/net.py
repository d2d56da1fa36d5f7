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


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast: not private, loopback, link-local, reserved or multicast
    (an IPv4-mapped IPv6 address counts as the IPv4 address it maps)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def loopback_receivers() -> bool:
    """Dev and test run webhook receivers on this machine; production never calls itself."""
    return get_settings().env in ("dev", "test")


def may_call(address: IPAddress, *, allow_loopback: bool) -> bool:
    """An address outgoing requests (webhooks) may reach: public, or loopback if allowed."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return is_public(address) or (allow_loopback and address.is_loopback)
