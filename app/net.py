"""The real client address, behind trusted proxies only."""

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
