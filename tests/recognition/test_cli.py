"""`citybrain codes verify --trust-list FILE [--at RFC3339] CODE`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from tests.recognition import factory as f


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["codes", "verify", *argv])
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().out


class TestCodesVerify:
    def _list(self, tmp_path: Path, signers: list[f.Signer], cities: list[f.City] = []) -> str:  # noqa: B006
        path = tmp_path / "trust.json"
        path.write_text(json.dumps(f.trust_document(signers, cities)))
        return str(path)

    def test_valid_dcc_at_a_given_clock(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        dsc = f.signer(usages=[f.EKU_VACCINATION])
        status, out = _run(
            capsys,
            "--trust-list",
            self._list(tmp_path, [dsc]),
            "--at",
            "2026-06-01T20:00:00+08:00",
            f.dcc(f.vaccination(), dsc),
        )
        assert status == 0
        assert json.loads(out) == {
            "valid": True,
            "format": "eu-dcc",
            "issuer": "AT",
            "kind": "vaccination",
            "expires_at": "2026-07-01T12:00:00Z",
            "reason": None,
        }

    def test_invalid_verdict_still_exits_zero(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        dsc = f.signer()
        status, out = _run(
            capsys,
            "--trust-list",
            self._list(tmp_path, [dsc]),
            "--at",
            "2026-08-01T00:00:00Z",
            f.dcc(f.vaccination(), dsc),
        )
        assert status == 0
        assert json.loads(out)["reason"] == "expired"

    def test_foreign_city_code(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        shanghai = f.city()
        status, out = _run(
            capsys,
            "--trust-list",
            self._list(tmp_path, [], [shanghai]),
            "--at",
            "2026-06-01T12:00:30Z",
            shanghai.code(),
        )
        assert status == 0
        assert json.loads(out)["issuer"] == shanghai.iss and json.loads(out)["valid"] is True

    @pytest.mark.parametrize("at", ["yesterday", "2026-06-01T12:00:00"])
    def test_bad_clock_is_usage(
        self, at: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, out = _run(capsys, "--trust-list", self._list(tmp_path, []), "--at", at, "HC1:X")
        assert (status, out) == (2, "")

    def test_missing_code_is_usage(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert _run(capsys, "--trust-list", self._list(tmp_path, []))[0] == 2

    def test_unreadable_trust_list_is_usage(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert _run(capsys, "--trust-list", str(tmp_path / "missing.json"), "HC1:X") == (2, "")
        broken = tmp_path / "broken.json"
        broken.write_text('{"certificates": [{"country": "AT", "kid": "!!", "rawData": "??"}]}')
        assert _run(capsys, "--trust-list", str(broken), "HC1:X") == (2, "")
