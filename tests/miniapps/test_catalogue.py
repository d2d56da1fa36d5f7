"""GET /api/v1/miniapps: in-process apps and live external ones."""

from __future__ import annotations

from typing import Any

from tests.helpers import Api, problem
from tests.miniapps.conftest import register


async def _all(api: Api) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        response = await api.client.get(f"/api/v1/miniapps?limit=3{cursor}")
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        cursor = f"&cursor={page['next_cursor']}"


class TestCatalogue:
    async def test_lists_builtin_and_live_external_apps_to_anyone(self, api: Api) -> None:
        live = await register(api, scopes=["profile.basic"])
        draft = await register(api, live=False)
        items = await _all(api)
        by_slug = {item["slug"]: item for item in items}
        assert by_slug["hello"] == {
            "slug": "hello",
            "name": "Hello 城市大脑",
            "version": "1.0.0",
            "scopes": ["profile.basic", "healthcode.read", "wallet.charge", "notify.send"],
            "kind": "builtin",
        }
        assert by_slug[live.slug]["kind"] == "external"
        assert by_slug[live.slug]["scopes"] == ["profile.basic"]
        assert draft.slug not in by_slug
        assert [i["slug"] for i in items] == sorted(by_slug)  # each once, in slug order

    async def test_bad_paging_is_422(self, api: Api) -> None:
        problem(await api.client.get("/api/v1/miniapps?limit=500"), 422, "validation_error")
        problem(await api.client.get("/api/v1/miniapps?cursor=%%%"), 422, "validation_error")
