"""The client address that per-client limits use: the peer, or behind trusted proxies the
last hop they did not add themselves."""

from __future__ import annotations

import ipaddress
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest

import app.net
from app import net
from app.net import client_address, is_public, loopback_receivers, may_call
from app.settings import Settings, get_settings


def connection(peer: str | None, forwarded: str | None = None) -> Any:
    """The two things `client_address` reads of a request."""
    headers = {"x-forwarded-for": forwarded} if forwarded is not None else {}
    return SimpleNamespace(client=SimpleNamespace(host=peer) if peer else None, headers=headers)


@pytest.fixture
def trust(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = msgspec.structs.replace(
        get_settings(), trusted_proxies=("10.0.0.0/8", "fd00::/8", "127.0.0.1")
    )
    monkeypatch.setattr(app.net, "get_settings", lambda: settings)


class TestClientAddress:
    def test_without_trusted_proxies_the_header_is_ignored(self) -> None:
        assert get_settings().trusted_proxies == ()
        assert client_address(connection("203.0.113.9", "198.51.100.1")) == "203.0.113.9"

    @pytest.mark.usefixtures("trust")
    def test_an_untrusted_peer_cannot_claim_another_address(self) -> None:
        assert client_address(connection("203.0.113.9", "198.51.100.1")) == "203.0.113.9"

    @pytest.mark.usefixtures("trust")
    def test_behind_one_trusted_proxy(self) -> None:
        assert client_address(connection("10.0.0.2", "198.51.100.1")) == "198.51.100.1"

    @pytest.mark.usefixtures("trust")
    def test_a_forged_leftmost_hop_is_ignored(self) -> None:
        forwarded = "1.1.1.1, 198.51.100.1, 10.0.0.7"  # client sent 1.1.1.1 itself
        assert client_address(connection("10.0.0.2", forwarded)) == "198.51.100.1"

    @pytest.mark.usefixtures("trust")
    def test_ipv6(self) -> None:
        assert client_address(connection("fd00::1", "2001:db8::5")) == "2001:db8::5"

    @pytest.mark.usefixtures("trust")
    def test_only_trusted_hops(self) -> None:
        assert client_address(connection("127.0.0.1", "10.1.1.1, 10.0.0.3")) == "10.1.1.1"

    @pytest.mark.usefixtures("trust")
    def test_a_trusted_peer_without_the_header(self) -> None:
        assert client_address(connection("10.0.0.2")) == "10.0.0.2"
        assert client_address(connection("10.0.0.2", " , ")) == "10.0.0.2"

    def test_no_peer(self) -> None:
        assert client_address(connection(None)) == "unknown"


class TestMayCall:
    @pytest.mark.parametrize(
        ("address", "public"),
        [
            ("93.184.216.34", True),
            ("2606:2800:220:1:248:1893:25c8:1946", True),
            ("10.0.0.7", False),
            ("192.168.1.9", False),
            ("169.254.169.254", False),  # cloud metadata
            ("100.64.0.1", False),  # carrier-grade NAT
            ("224.0.0.1", False),
            ("::ffff:10.0.0.7", False),  # IPv4-mapped private
            ("::ffff:93.184.216.34", True),
            ("fd00::1", False),
            ("127.0.0.1", False),
            ("::1", False),
            # IPv6 forms that carry an IPv4 address to its destination, which Python counts
            # as global: each reached 169.254.169.254 or loopback before the fix.
            ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
            ("64:ff9b::5db8:d822", True),  # NAT64 of 93.184.216.34
            ("64:ff9b:1::a9fe:a9fe", False),  # local-use NAT64
            ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254
            ("2002:5db8:d822::1", True),  # 6to4 of 93.184.216.34
            ("::a9fe:a9fe", False),  # IPv4-compatible
            ("::ffff:0:7f00:1", False),  # IPv4-translated 127.0.0.1
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo, client 192.0.2.45
            ("fec0::1", False),  # site-local
        ],
    )
    def test_public_addresses(self, address: str, public: bool) -> None:
        assert is_public(ipaddress.ip_address(address)) is public

    def test_loopback_only_when_allowed(self) -> None:
        loopback = ipaddress.ip_address("127.0.0.1")
        assert may_call(loopback, allow_loopback=True)
        assert not may_call(loopback, allow_loopback=False)
        assert not may_call(ipaddress.ip_address("::ffff:127.0.0.1"), allow_loopback=False)
        assert may_call(ipaddress.ip_address("::ffff:127.0.0.1"), allow_loopback=True)
        assert may_call(ipaddress.ip_address("93.184.216.34"), allow_loopback=False)
        assert not may_call(ipaddress.ip_address("10.0.0.7"), allow_loopback=True)

    def test_loopback_receivers_only_in_dev_and_test(self, monkeypatch: pytest.MonkeyPatch) -> None:
        assert loopback_receivers()  # the suite runs with CITYBRAIN_ENV=test
        monkeypatch.setattr(net, "get_settings", lambda: Settings(env="production"))
        assert not loopback_receivers()
