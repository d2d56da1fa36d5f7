"""Signing keys: the next key is published before it signs; retired keys stop verifying."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.security import build_keyring
from app.settings import Settings, SettingsError
from healthcode import keys
from tests.app.portal import in_app
from tests.healthcode.conftest import declared, fresh_code, scan
from tests.healthcode.test_codes import assert_denied, parts
from tests.helpers import Api


async def published(api: Api) -> list[str]:
    response = await api.client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    return [key["kid"] for key in response.json()["keys"]]


class TestRotation:
    async def test_the_next_key_is_published_before_it_signs(self, api: Api) -> None:
        citizen, _ = await declared(api)
        kids = await published(api)
        upcoming, signing = kids[0], kids[1]
        assert parts(await fresh_code(api, citizen))[0]["kid"] == signing
        await in_app(api.client, keys.rotate)
        assert parts(await fresh_code(api, citizen))[0]["kid"] == upcoming
        after = await published(api)
        assert after[1:] == [upcoming, signing]

    async def test_codes_of_the_previous_key_still_pass_and_retired_ones_do_not(
        self, api: Api
    ) -> None:
        citizen, _ = await declared(api)
        gate = await api.gate()
        code = await fresh_code(api, citizen)
        await in_app(api.client, keys.rotate)
        assert (await scan(api, gate, code))["result"] == "pass"
        code = await fresh_code(api, citizen)
        await in_app(api.client, keys.rotate)
        await in_app(api.client, keys.rotate)
        assert parts(code)[0]["kid"] not in await published(api)
        assert_denied(await scan(api, gate, code), "code_invalid")

    async def test_the_command_line_rotates(self, api: Api) -> None:
        before = await published(api)
        done = await asyncio.to_thread(
            subprocess.run,  # our own CLI, fixed arguments
            [sys.executable, "-m", "app.cli", "keys", "rotate"],
            env=os.environ.copy(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "active" in done.stdout
        keys.forget()
        after = await published(api)
        assert after[1] == before[0]
        assert after[0] not in before


class TestSealingCheck:
    async def test_keys_sealed_with_another_key_stop_the_start(
        self, api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await in_app(api.client, keys.check_sealing)  # this keyring opens them
        stranger = build_keyring(Settings(env="test", data_dir=str(tmp_path)))
        monkeypatch.setattr(keys, "get_keyring", lambda: stranger)
        with pytest.raises(SettingsError, match="CITYBRAIN_ID_ENC_KEY"):
            await in_app(api.client, keys.check_sealing)
