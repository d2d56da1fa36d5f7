"""Another City Brain's keys, fetched from its JWKS URL (its `/.well-known/jwks.json`).

Through `app.outbound`: the host is resolved and checked at every fetch (public addresses
only, loopback in dev and test), no redirects, a small size limit. `http://` is taken only
where loopback receivers are (dev and test): a production key fetch is always TLS."""

from __future__ import annotations

from typing import Any

from app.net import loopback_receivers
from app.outbound import Refused, get_bytes, json_or_refused
from recognition.trust import TrustListInvalid, parse_jwks

MAX_JWKS_BYTES = 64 * 1024
WAIT_SECONDS = 5.0


class JwksUnavailable(Exception):
    """The keys could not be fetched, or what came back is no usable JWKS."""


def check_url(url: str) -> None:
    if url.startswith("https://") or (url.startswith("http://") and loopback_receivers()):
        return
    raise JwksUnavailable("a JWKS URL must be https://")


async def fetch_jwks(url: str) -> dict[str, Any]:
    check_url(url)
    try:
        body = await get_bytes(
            url,
            wait_seconds=WAIT_SECONDS,
            max_bytes=MAX_JWKS_BYTES,
            user_agent="CityBrain-TrustList/1",
        )
        jwks = json_or_refused(body)
        parse_jwks(jwks)
    except (Refused, TrustListInvalid) as exc:
        raise JwksUnavailable(f"could not use the JWKS at {url}: {exc}") from None
    keys = [key for key in jwks["keys"] if isinstance(key, dict)]
    return {"keys": keys}
