"""Push notifications behind one interface: a console sender in dev, a recording one in tests.

The production adapter point is a push gateway (APNs, FCM, HarmonyOS Push Kit, or a vendor
aggregating them) implementing `PushSender.send`. Tokens never reach the logs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.settings import get_settings

log = logging.getLogger("citybrain.push")


class InvalidPushToken(Exception):
    """The gateway says this device token is gone: the device is forgotten."""


class PushSender(Protocol):
    async def send(
        self, token: str, platform: str, title: str, body: str, data: dict[str, Any]
    ) -> None: ...


class ConsolePushSender:
    async def send(
        self, token: str, platform: str, title: str, body: str, data: dict[str, Any]
    ) -> None:
        print(f"[push to a {platform} device] {title}: {body}", flush=True)


@dataclass
class SentPush:
    token: str
    platform: str
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)


class RecordingPushSender:
    """Keeps every push in memory; tokens listed in `invalid` are refused as gone."""

    def __init__(self) -> None:
        self.sent: list[SentPush] = []
        self.invalid: set[str] = set()

    async def send(
        self, token: str, platform: str, title: str, body: str, data: dict[str, Any]
    ) -> None:
        if token in self.invalid:
            raise InvalidPushToken()
        self.sent.append(SentPush(token, platform, title, body, data))

    def to(self, token: str) -> list[SentPush]:
        return [push for push in self.sent if push.token == token]


_sender: PushSender | None = None


def get_push_sender() -> PushSender:
    global _sender
    if _sender is None:
        _sender = RecordingPushSender() if get_settings().env == "test" else ConsolePushSender()
    return _sender


def set_push_sender(sender: PushSender | None) -> None:
    global _sender
    _sender = sender
