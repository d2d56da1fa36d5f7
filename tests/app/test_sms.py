"""The console SMS sender: the login code reaches the console in dev only. Before, every
environment but `test` printed each code to stdout, so in production whoever could read the
logs could sign in as anyone."""

from __future__ import annotations

import msgspec
import pytest

import app.sms
from app.settings import get_settings
from app.sms import ConsoleSmsSender, get_sms_sender, set_sms_sender

TEXT = "【城市大脑】您的登录验证码是 482913，5分钟内有效。"


@pytest.mark.parametrize(("env", "shown"), [("dev", True), ("production", False)])
async def test_the_code_is_printed_in_dev_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: str, shown: bool
) -> None:
    original = get_sms_sender()  # the suite's recording sender, put back afterwards
    settings = msgspec.structs.replace(get_settings(), env=env)
    monkeypatch.setattr(app.sms, "get_settings", lambda: settings)
    set_sms_sender(None)
    try:
        sender = get_sms_sender()
        assert isinstance(sender, ConsoleSmsSender)
        await sender.send("13812345678", TEXT)
    finally:
        set_sms_sender(original)
    out = capsys.readouterr().out
    assert "138****5678" in out and "13812345678" not in out
    assert ("482913" in out) is shown
