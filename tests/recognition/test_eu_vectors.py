"""`citybrain codes verify` against the EU's own DCC test vectors (dgc-testdata, see
`vectors/NOTICE.md`): each vector's signer certificate is the whole trust list, its
`VALIDATIONCLOCK` is `--at`, its `PREFIX` is the code.

How an `EXPECTED*` flag of a vector maps onto our verdict (a missing flag asserts nothing):

| flag | check | `false` means our reason is one of |
|---|---|---|
| `EXPECTEDUNPREFIX`, `…B45DECODE`, `…COMPRESSION`, `…DECODE` | decoding | `undecodable` |
| `EXPECTEDVERIFY` | kid + signature | `unknown_key`, `signature_invalid` |
| `EXPECTEDEXPIRATIONCHECK` | signer validity, CWT `iat`/`exp` | `expired`, `not_yet_valid` |
| `EXPECTEDKEYUSAGE` | extended key usage | `key_usage` |
| `EXPECTEDSCHEMAVALIDATION` | payload schema | `schema_invalid` |

A flag that is `true` means our reason is none of that row's (unless a `false` flag of the
same vector names it too: B1's prefix is fine and its base45 is not, both `undecodable`).
A vector with no `false` flag must come out valid, unless it fails a check it does not assert;
each such vector is listed in `UNASSERTED` with the reason we give and why. The flags that
only concern the picture or the JSON copy (`EXPECTEDPICTUREDECODE`, `EXPECTEDVALIDJSON`,
`EXPECTEDVALIDOBJECT`, `EXPECTEDENCODE`) map onto nothing the command sees.

`EXCLUDED` lists the vectors that are wrong by the EU's own rules, with the reason; they are
still checked, to fail as that reason says, so that a fix upstream shows here.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from app.cli import main

VECTORS = Path(__file__).parent / "vectors"

DECODING = {"undecodable"}
REASONS: dict[str, set[str]] = {
    "EXPECTEDUNPREFIX": DECODING,
    "EXPECTEDB45DECODE": DECODING,
    "EXPECTEDCOMPRESSION": DECODING,
    "EXPECTEDDECODE": DECODING,
    "EXPECTEDVERIFY": {"unknown_key", "signature_invalid"},
    "EXPECTEDEXPIRATIONCHECK": {"expired", "not_yet_valid"},
    "EXPECTEDKEYUSAGE": {"key_usage"},
    "EXPECTEDSCHEMAVALIDATION": {"schema_invalid"},
}

# A test statement whose `sc`/`dr` the CBOR carries as integer milliseconds, though the
# vector's own JSON shows date-time strings: no version of the EU schema accepts it.
_INTEGER_TIMES = "test statement with sc/dr as integers, which no EU schema version accepts"

UNASSERTED: dict[str, tuple[str, str]] = {
    "common-CO12": ("schema_invalid", _INTEGER_TIMES + "; asserts only key usage"),
    "common-CO18": ("schema_invalid", _INTEGER_TIMES + "; asserts only the signature"),
    "common-CO19": ("schema_invalid", _INTEGER_TIMES + "; asserts only the signature"),
    "common-CO20": ("schema_invalid", _INTEGER_TIMES + "; asserts only the signature"),
    "common-CO21": ("schema_invalid", _INTEGER_TIMES + "; asserts only the signature"),
    "AT-2": (
        "not_yet_valid",
        "VALIDATIONCLOCK 2021-05-03 is before its signer's notBefore 2021-05-05 (the DSC was"
        " renewed after the vector was made); the vector asserts no time check",
    ),
}

# Reasons a `false` EXPECTEDVERIFY admits besides the kid and the signature: the EU's harness
# counts a message that is no COSE_Sign1 at all as not verified.
NO_COSE: dict[str, str] = {
    "common-CBO2": 'decompresses to bytes that are no COSE_Sign1 ("wrong CWT structure")',
}

EXCLUDED: dict[str, tuple[str, str]] = {
    "common-DGC3": ("schema_invalid", _INTEGER_TIMES + ", yet it asserts the schema holds"),
    "common-DGC4": ("schema_invalid", _INTEGER_TIMES + ", yet it asserts the schema holds"),
    "common-CO25": (
        "unknown_key",
        "its COSE kid 199d9c7cc2f0c8af is not its certificate's (5f74910195c5cecb, the kid of"
        " CO28, the same DCC signed again); the EU's harness asserts kid == SHA-256(cert)[:8]",
    ),
}


def _vectors() -> list[str]:
    return sorted(path.stem for path in VECTORS.glob("*.json"))


def _trust_list(tmp_path: Path, name: str, certificate: str) -> str:
    """The vector's signer as an EU-gateway-shaped list; kid = first 8 bytes of SHA-256(DER)."""
    kid = hashlib.sha256(base64.b64decode(certificate)).digest()[:8]
    country = name.split("-")[0] if not name.startswith("common-") else "EU"
    entry = {"country": country, "kid": base64.b64encode(kid).decode(), "rawData": certificate}
    path = tmp_path / "trust.json"
    path.write_text(json.dumps({"certificates": [entry]}))
    return str(path)


def _verdict(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    with pytest.raises(SystemExit) as exit_info:
        main(["codes", "verify", *argv])
    assert exit_info.value.code == 0
    verdict: dict[str, Any] = json.loads(capsys.readouterr().out)
    return verdict


def _allowed(name: str, expected: dict[str, bool]) -> tuple[set[str], set[str]]:
    """(reasons the false flags name, reasons the true flags rule out) for one vector."""
    failing = {flag for flag, holds in expected.items() if flag in REASONS and not holds}
    named = set().union(*(REASONS[flag] for flag in failing))
    if "EXPECTEDVERIFY" in failing and name in NO_COSE:
        named |= DECODING
    passing = {flag for flag, holds in expected.items() if flag in REASONS and holds}
    ruled_out = set().union(*(REASONS[flag] for flag in passing)) - named
    return named, ruled_out


def test_the_set_covers_every_check() -> None:
    """25–60 vectors, each mapped flag asserted both ways somewhere, both signature kinds."""
    names = _vectors()
    assert 25 <= len(names) <= 60
    seen: set[tuple[str, bool]] = set()
    for name in names:
        vector = json.loads((VECTORS / f"{name}.json").read_text("utf-8"))
        seen |= {(k, v) for k, v in vector["EXPECTEDRESULTS"].items() if k in REASONS}
    assert {(flag, holds) for flag in REASONS for holds in (True, False)} <= seen
    assert set(UNASSERTED) | set(EXCLUDED) | set(NO_COSE) <= set(names)


@pytest.mark.parametrize("name", _vectors())
def test_vector(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vector = json.loads((VECTORS / f"{name}.json").read_text("utf-8"))
    context, expected = vector["TESTCTX"], vector["EXPECTEDRESULTS"]
    verdict = _verdict(
        capsys,
        "--trust-list",
        _trust_list(tmp_path, name, context["CERTIFICATE"]),
        "--at",
        context["VALIDATIONCLOCK"],
        vector["PREFIX"],
    )
    if name in EXCLUDED:
        assert (verdict["valid"], verdict["reason"]) == (False, EXCLUDED[name][0])
        return
    named, ruled_out = _allowed(name, expected)
    assert verdict["reason"] not in ruled_out, context.get("DESCRIPTION")
    if named:
        assert verdict["valid"] is False
        assert verdict["reason"] in named, context.get("DESCRIPTION")
    elif name in UNASSERTED:
        assert (verdict["valid"], verdict["reason"]) == (False, UNASSERTED[name][0])
    else:
        assert verdict["valid"] is True, context.get("DESCRIPTION")
        assert verdict["format"] == "eu-dcc"
        assert verdict["kind"] in {"vaccination", "test", "recovery"}
        assert verdict["expires_at"] is not None
