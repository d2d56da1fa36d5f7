"""`citybrain codes verify --trust-list FILE [--at RFC3339] CODE`: one JSON verdict.

Exit 0 whatever the verdict (the verdict is the output), 2 for bad usage: an unreadable or
invalid trust list, a clock that is not RFC 3339, a missing argument (argparse)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from recognition.trust import TrustListInvalid, from_document
from recognition.verifier import verify


def instant(text: str) -> datetime:
    """An RFC 3339 instant with its offset (a bare local time would depend on the machine)."""
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 instant: {text!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"an RFC 3339 instant needs an offset: {text!r}")
    return moment.astimezone(UTC)


def add_parser(codes: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    check = codes.add_parser("verify", help="verify a health code against a trust list")
    check.add_argument("--trust-list", required=True, type=Path, metavar="FILE")
    check.add_argument("--at", type=instant, default=None, metavar="RFC3339")
    check.add_argument("code")


def verify_command(trust_list: Path, at: datetime | None, code: str) -> int:
    try:
        trust = from_document(json.loads(trust_list.read_text("utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TrustListInvalid) as exc:
        print(f"citybrain codes verify: unusable trust list: {exc}", file=sys.stderr)
        return 2
    verdict = verify(code.strip(), trust, at or datetime.now(UTC))
    print(json.dumps(verdict.public()))
    return 0
