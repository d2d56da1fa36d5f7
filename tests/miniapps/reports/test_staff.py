"""Platform admins assign the grid's staff through the app's own admin routes."""

from __future__ import annotations

import uuid

from httpx import Response

from tests.helpers import Api, Citizen, problem
from tests.miniapps.reports.conftest import BASE, new_place, report, worker_of


async def _put(api: Api, who: Citizen, citizen_id: str, json: object) -> Response:
    return await api.client.put(
        f"{BASE}/admin/workers/{citizen_id}",
        json=json,
        headers=who.headers,
    )


class TestAssignWorker:
    async def test_an_admin_sets_and_replaces_a_workers_regions(self, api: Api) -> None:
        admin, citizen = await api.admin(), await api.citizen()
        a, b = new_place().region_code, new_place().region_code
        first = await _put(api, admin, citizen.id, {"regions": [{"region_code": a}]})
        assert first.status_code == 200, first.text
        assert first.json()["regions"] == [{"region_code": a, "level": "grid"}]
        body = {"regions": [{"region_code": b, "level": "district"}]}
        replaced = await _put(api, admin, citizen.id, body)
        assert replaced.json()["regions"] == [{"region_code": b, "level": "district"}]
        mine = await api.client.get(f"{BASE}/staff/assignments", headers=citizen.headers)
        assert mine.json()["regions"] == [{"region_code": b, "level": "district"}]

    async def test_an_empty_list_ends_the_assignments(self, api: Api) -> None:
        place = new_place()
        event = await report(api, await api.citizen(), place)
        worker = await worker_of(api, place.region_code)
        assert (
            await api.client.get(f"{BASE}/events/{event['id']}", headers=worker.headers)
        ).status_code == 200
        ended = await _put(api, await api.admin(), worker.id, {"regions": []})
        assert ended.json()["regions"] == []
        problem(
            await api.client.get(f"{BASE}/staff/queue", headers=worker.headers), 403, "forbidden"
        )
        problem(
            await api.client.get(f"{BASE}/events/{event['id']}", headers=worker.headers),
            404,
            "not_found",
        )

    async def test_bad_assignments_are_refused(self, api: Api) -> None:
        admin, citizen = await api.admin(), await api.citizen()
        code = new_place().region_code
        for bad in (
            {"regions": [{"region_code": code}, {"region_code": code}]},
            {"regions": [{"region_code": "3301"}]},
            {"regions": [{"region_code": code, "level": "province"}]},
            {},
        ):
            problem(await _put(api, admin, citizen.id, bad), 422, "validation_error")
        mine = await api.client.get(f"{BASE}/staff/assignments", headers=citizen.headers)
        assert mine.json()["regions"] == []
        unknown = await _put(api, admin, str(uuid.uuid4()), {"regions": []})
        problem(unknown, 404, "not_found")

    async def test_only_a_platform_admin_assigns(self, api: Api) -> None:
        citizen = await api.citizen()
        body = {"regions": [{"region_code": new_place().region_code}]}
        for who in (citizen, await api.with_role("health_admin"), await worker_of(api, "330100")):
            problem(await _put(api, who, citizen.id, body), 403, "forbidden")
        unauthenticated = await api.client.put(f"{BASE}/admin/workers/{citizen.id}", json=body)
        problem(unauthenticated, 401, "unauthorized")
        mine = await api.client.get(f"{BASE}/staff/assignments", headers=citizen.headers)
        assert mine.json()["regions"] == []


class TestListWorkers:
    async def test_an_admin_lists_the_staff_by_pages(self, api: Api) -> None:
        region = new_place().region_code
        worker = await worker_of(api, region)
        mine = await api.client.get(f"{BASE}/staff/assignments", headers=worker.headers)
        openid = mine.json()["openid"]
        admin = await api.admin()
        found: dict[str, list[dict[str, str]]] = {}
        cursor: str | None = None
        while True:
            params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
            page = await api.client.get(
                f"{BASE}/admin/workers", params=params, headers=admin.headers
            )
            assert page.status_code == 200, page.text
            found |= {w["openid"]: w["regions"] for w in page.json()["items"]}
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        assert found[openid] == [{"region_code": region, "level": "grid"}]

    async def test_a_bad_cursor_is_refused(self, api: Api) -> None:
        response = await api.client.get(
            f"{BASE}/admin/workers", params={"cursor": "zz"}, headers=(await api.admin()).headers
        )
        problem(response, 422, "validation_error")

    async def test_nobody_else_lists_them(self, api: Api) -> None:
        worker = await worker_of(api, new_place().region_code)
        problem(
            await api.client.get(f"{BASE}/admin/workers", headers=worker.headers), 403, "forbidden"
        )
        problem(await api.client.get(f"{BASE}/admin/workers"), 401, "unauthorized")


class TestMyAssignments:
    async def test_a_citizen_without_assignments_has_none(self, api: Api) -> None:
        citizen = await api.citizen()
        response = await api.client.get(f"{BASE}/staff/assignments", headers=citizen.headers)
        assert response.status_code == 200 and response.json()["regions"] == []
        problem(await api.client.get(f"{BASE}/staff/assignments"), 401, "unauthorized")
