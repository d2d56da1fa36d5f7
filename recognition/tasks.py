"""Trust-list jobs: other cities' keys refreshed from their JWKS URLs."""

from __future__ import annotations

from app.jobs import periodic


@periodic(3600)
async def refresh_city_jwks() -> None:
    """Fetch the JWKS of every City Brain issuer trusted by URL; keep the keys on failure."""
    from recognition.service import refresh_city_keys

    await refresh_city_keys()
