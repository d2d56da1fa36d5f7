"""The SDK's platform roles, openids for admins, and per-citizen rate limits on the context."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

import pytest

from miniapps.context import Device
from miniapps.sdk import (
    Forbidden,
    Manifest,
    MiniAppContext,
    NotFound,
    RateLimited,
    Unauthorized,
)
from tests.app.portal import in_app
from tests.helpers import Api

MANIFEST = Manifest(slug="roles-test", name="Roles", version="1.0.0")


def citizen_ctx(*roles: str, slug: str = "roles-test") -> MiniAppContext:
    manifest = Manifest(slug=slug, name="Roles", version="1.0.0")
    return MiniAppContext(
        manifest=manifest, citizen_id="c", openid=uuid.uuid4().hex, roles=frozenset(roles)
    )


class TestRequireRole:
    def test_a_citizen_with_the_role_passes_and_without_it_is_refused(self) -> None:
        admin = citizen_ctx("platform_admin")
        assert admin.require_role("platform_admin", "health_admin") == admin.openid
        with pytest.raises(Forbidden, match="platform_admin"):
            citizen_ctx("health_admin").require_role("platform_admin")

    def test_nobody_a_job_and_a_device_hold_no_role(self) -> None:
        nobody = MiniAppContext(manifest=MANIFEST, roles=frozenset({"platform_admin"}))
        assert nobody.roles == frozenset()
        with pytest.raises(Unauthorized):
            nobody.require_role("platform_admin")
        device = MiniAppContext(manifest=MANIFEST)
        device.device = Device("g", "v", "metro", device)
        with pytest.raises(Forbidden):
            device.require_role("platform_admin")


class TestOpenidOf:
    async def test_only_an_admin_maps_a_citizen_id_to_an_openid(self, api: Api) -> None:
        citizen = await api.citizen()
        admin = citizen_ctx("platform_admin", slug="reports")
        first = await in_app(api.client, admin.openid_of, citizen.id)
        assert first == await in_app(api.client, admin.openid_of, citizen.id)
        assert len(first) == 32
        with pytest.raises(NotFound):
            await in_app(api.client, admin.openid_of, str(uuid.uuid4()))
        with pytest.raises(Forbidden):
            await in_app(api.client, citizen_ctx(slug="reports").openid_of, citizen.id)


class TestLimit:
    async def test_a_limit_counts_per_app_and_citizen(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from app import ratelimit

        # The window is fixed in real time: hold its clock mid-window whatever the hour.
        monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_001_800.0))
        ctx = citizen_ctx(slug="reports")
        other_app = MiniAppContext(
            manifest=Manifest(slug="services", name="S", version="1.0.0"), openid=ctx.openid
        )
        await in_app(api.client, ctx.limit, "probe", 1, 3600)
        await in_app(api.client, other_app.limit, "probe", 1, 3600)  # another app's count
        await in_app(api.client, citizen_ctx(slug="reports").limit, "probe", 1, 3600)
        with pytest.raises(RateLimited):
            await in_app(api.client, ctx.limit, "probe", 1, 3600)

    def test_a_limit_needs_a_citizen(self) -> None:
        with pytest.raises(Unauthorized):
            asyncio.run(MiniAppContext(manifest=MANIFEST).limit("probe", 1, 60))
