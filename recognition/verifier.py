"""The one verifier of presented codes, shared by the gate and `citybrain codes verify`.

It takes the code, a trust list and an instant, and answers a `Verdict`; it never raises, so
whatever a gate is shown, it denies with a reason rather than failing."""

from __future__ import annotations

from datetime import datetime

from recognition import citybrain, dcc
from recognition.trust import TrustList
from recognition.verdict import Format, Rejection, Verdict


def format_of(code: object) -> Format:
    """`eu-dcc` for an `HC1:` code; anything else is judged as a City Brain code."""
    return "eu-dcc" if isinstance(code, str) and code.startswith(dcc.PREFIX) else "citybrain"


def verify(code: object, trust: TrustList, at: datetime) -> Verdict:
    kind = format_of(code)
    if not isinstance(code, str):
        return Verdict(valid=False, format=kind, reason="undecodable")
    try:
        if kind == "eu-dcc":
            return dcc.verify(code, trust, at)
        if not code.startswith(citybrain.PREFIX):
            raise Rejection("undecodable")
        return citybrain.verify(code, trust, at)
    except Rejection as rejection:
        return Verdict(valid=False, format=kind, issuer=rejection.issuer, reason=rejection.reason)
    except (ValueError, TypeError, KeyError, OverflowError):  # a library choking on garbage
        return Verdict(valid=False, format=kind, reason="undecodable")
