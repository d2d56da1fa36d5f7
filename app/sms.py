"""Text messages behind one interface: a console sender in dev, a recording one in tests.

The production adapter point is an SMS gateway (a carrier or cloud SMS API) implementing
`SmsSender.send`; select it with `CITYBRAIN_SMS` once one is wired. Phones are masked in
logs; the console sender prints the text only in dev, where the console *is* the phone:
anywhere else a login code in the log would let whoever reads the log sign in as anyone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from app.settings import get_settings

log = logging.getLogger("citybrain.sms")


class SmsSender(Protocol):
    async def send(self, phone: str, text: str) -> None: ...


class ConsoleSmsSender:
    def __init__(self, show_text: bool = True) -> None:
        self.show_text = show_text

    async def send(self, phone: str, text: str) -> None:
        shown = text if self.show_text else "(text withheld: no SMS gateway is configured)"
        print(f"[sms to {phone[:3]}****{phone[7:]}] {shown}", flush=True)


@dataclass
class SentSms:
    phone: str
    text: str


class RecordingSmsSender:
    """Keeps every message in memory so that tests can read what a citizen received."""

    def __init__(self) -> None:
        self.sent: list[SentSms] = []

    async def send(self, phone: str, text: str) -> None:
        self.sent.append(SentSms(phone, text))

    def last_to(self, phone: str) -> str | None:
        for message in reversed(self.sent):
            if message.phone == phone:
                return message.text
        return None


_sender: SmsSender | None = None


def get_sms_sender() -> SmsSender:
    global _sender
    if _sender is None:
        env = get_settings().env
        _sender = RecordingSmsSender() if env == "test" else ConsoleSmsSender(env == "dev")
    return _sender


def set_sms_sender(sender: SmsSender | None) -> None:
    global _sender
    _sender = sender
