"""`grants` and `subscriptions` under a mounted mini-app's own path still reach the platform.

Litestar does not step back from a mounted app's fixed slug segment to `{slug}`; the
platform registers fixed copies of its reserved paths under each mount.
"""

from __future__ import annotations

from miniapps.registry import get_registry
from tests.helpers import Api, problem


class TestGrantsUnderMountedApps:
    async def test_every_mounted_app_can_be_granted(self, api: Api) -> None:
        citizen = await api.citizen()
        registry = get_registry()
        mounted = [m.opt["miniapp"] for m in registry.routers()]
        assert {"hotel", "park", "medical", "rental", "parking"} <= set(mounted)
        # An app that asks citizens for nothing (benefits) has nothing to grant.
        mounted = [slug for slug in mounted if registry.apps[slug].app.manifest.scopes]
        for slug in mounted:
            scope = registry.apps[slug].app.manifest.scopes[0]
            response = await api.client.post(
                f"/api/v1/miniapps/{slug}/grants", json={"scopes": [scope]}, headers=citizen.headers
            )
            assert response.status_code == 201, (slug, response.text)
            assert response.json()["slug"] == slug
        listed = await api.client.get("/api/v1/me/grants?limit=200", headers=citizen.headers)
        assert {g["slug"] for g in listed.json()["items"]} >= set(mounted)

    async def test_needs_a_citizen(self, api: Api) -> None:
        response = await api.client.post(
            "/api/v1/miniapps/parking/grants", json={"scopes": ["wallet.charge"]}
        )
        problem(response, 401, "unauthorized")


class TestSubscriptionsUnderMountedApps:
    async def test_subscribing_reaches_notifications(self, api: Api) -> None:
        citizen = await api.citizen()
        registry = get_registry()
        for mount in registry.routers():
            slug = mount.opt["miniapp"]
            templates = list(registry.apps[slug].app.manifest.templates)[:1]
            if not templates:
                continue
            response = await api.client.post(
                f"/api/v1/miniapps/{slug}/subscriptions",
                json={"templates": templates},
                headers=citizen.headers,
            )
            assert response.status_code == 201, (slug, response.text)
            assert response.json()["templates"] == templates
