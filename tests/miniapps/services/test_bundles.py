"""Bundles as data, and the platform admin's routes: bundles and department staff."""

from __future__ import annotations

from typing import Any

from tests.helpers import Api, problem
from tests.miniapps.services.conftest import BASE, bundle_body, clerk, make_bundle


def broken(**change: Any) -> dict[str, Any]:
    body = bundle_body()
    body.update(change)
    return body


class TestListBundles:
    async def test_anyone_reads_the_bundles(self, api: Api) -> None:
        code = await make_bundle(api)
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": "200", **({"cursor": cursor} if cursor else {})}
            response = await api.client.get(f"{BASE}/bundles", params=params)
            assert response.status_code == 200, response.text
            seen += [b["code"] for b in response.json()["items"]]
            cursor = response.json()["next_cursor"]
            if cursor is None:
                break
        assert code in seen

    async def test_a_limit_out_of_range_is_422(self, api: Api) -> None:
        problem(
            await api.client.get(f"{BASE}/bundles", params={"limit": "0"}), 422, "validation_error"
        )


class TestReadBundle:
    async def test_the_definition_says_who_fills_each_field(self, api: Api) -> None:
        code = await make_bundle(api)
        response = await api.client.get(f"{BASE}/bundles/{code}")
        assert response.status_code == 200, response.text
        sources = {f["key"]: f["source"] for f in response.json()["fields"]}
        assert sources["applicant_name"] == "real_name"
        assert sources["applicant_id_hash"] == "id_hash"
        assert [s["department"] for s in response.json()["steps"]] == [
            "health_commission",
            "public_security",
            "healthcare_security",
        ]

    async def test_an_unknown_bundle_is_404(self, api: Api) -> None:
        problem(await api.client.get(f"{BASE}/bundles/no_such"), 404, "bundle_not_found")


class TestSaveBundle:
    async def test_a_replaced_bundle_leaves_applications_under_way_alone(self, api: Api) -> None:
        from tests.miniapps.services.conftest import applicant, start

        code = await make_bundle(api)
        person = await applicant(api)
        draft = await start(api, person, code)
        admin = await api.admin()
        shorter = bundle_body()
        shorter["steps"] = shorter["steps"][:1]
        response = await api.client.put(
            f"{BASE}/admin/bundles/{code}", json=shorter, headers=admin.headers
        )
        assert response.status_code == 200, response.text
        assert len((await api.client.get(f"{BASE}/bundles/{code}")).json()["steps"]) == 1
        again = await api.client.get(f"{BASE}/applications/{draft['id']}", headers=person.headers)
        assert len(again.json()["steps"]) == 3

    async def test_an_incoherent_definition_is_refused_and_nothing_saved(self, api: Api) -> None:
        admin = await api.admin()
        body = bundle_body()
        body["steps"][0]["fields"].append("not_declared")
        body["fields"].append(dict(body["fields"][0]))
        body["fields"][1]["reusable"] = True  # the platform's id hash, "reused"
        url = f"{BASE}/admin/bundles/incoherent_one"
        response = await api.client.put(url, json=body, headers=admin.headers)
        errors = {e["field"] for e in problem(response, 422, "validation_error")["errors"]}
        assert errors == {"steps[0].fields[6]", "fields[8].key", "fields[1].reusable"}
        problem(await api.client.get(f"{BASE}/bundles/incoherent_one"), 404, "bundle_not_found")

    async def test_a_bad_code_is_422(self, api: Api) -> None:
        admin = await api.admin()
        response = await api.client.put(
            f"{BASE}/admin/bundles/Bad-Code", json=bundle_body(), headers=admin.headers
        )
        problem(response, 422, "validation_error")

    async def test_a_citizen_may_not(self, api: Api) -> None:
        person = await api.citizen()
        url = f"{BASE}/admin/bundles/by_a_citizen"
        problem(
            await api.client.put(url, json=bundle_body(), headers=person.headers), 403, "forbidden"
        )
        problem(await api.client.put(url, json=bundle_body()), 401, "unauthorized")


class TestAssignStaff:
    async def test_a_platform_admin_gives_a_citizen_departments(self, api: Api) -> None:
        staff = await clerk(api, "taxation", "market_regulation", "taxation")
        queue = await api.client.get(f"{BASE}/desk/steps", headers=staff.headers)
        assert queue.status_code == 200, queue.text
        admin = await api.admin()
        again = await api.client.put(
            f"{BASE}/admin/staff/{staff.id}",
            json={"departments": ["taxation"]},
            headers=admin.headers,
        )
        assert again.json()["departments"] == ["taxation"]

    async def test_an_unknown_citizen_is_404_and_an_empty_list_422(self, api: Api) -> None:
        admin = await api.admin()
        unknown = await api.client.put(
            f"{BASE}/admin/staff/no-such-citizen",
            json={"departments": ["taxation"]},
            headers=admin.headers,
        )
        problem(unknown, 404, "not_found")
        person = await api.citizen()
        empty = await api.client.put(
            f"{BASE}/admin/staff/{person.id}", json={"departments": []}, headers=admin.headers
        )
        problem(empty, 422, "validation_error")

    async def test_a_health_admin_or_a_citizen_may_not(self, api: Api) -> None:
        person = await api.citizen()
        for caller in (await api.with_role("health_admin"), person):
            response = await api.client.put(
                f"{BASE}/admin/staff/{person.id}",
                json={"departments": ["taxation"]},
                headers=caller.headers,
            )
            problem(response, 403, "forbidden")
        queue = await api.client.get(f"{BASE}/desk/steps", headers=person.headers)
        problem(queue, 403, "not_department_staff")


class TestUnassignStaff:
    async def test_the_former_staff_reads_no_more_steps(self, api: Api) -> None:
        staff = await clerk(api, "taxation")
        admin = await api.admin()
        gone = await api.client.delete(f"{BASE}/admin/staff/{staff.id}", headers=admin.headers)
        assert gone.status_code == 204, gone.text
        problem(
            await api.client.get(f"{BASE}/desk/steps", headers=staff.headers),
            403,
            "not_department_staff",
        )
        again = await api.client.delete(f"{BASE}/admin/staff/{staff.id}", headers=admin.headers)
        problem(again, 404, "not_found")

    async def test_a_citizen_may_not(self, api: Api) -> None:
        staff = await clerk(api, "taxation")
        response = await api.client.delete(f"{BASE}/admin/staff/{staff.id}", headers=staff.headers)
        problem(response, 403, "forbidden")
        assert (
            await api.client.get(f"{BASE}/desk/steps", headers=staff.headers)
        ).status_code == 200
