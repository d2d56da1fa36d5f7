"""Hospitals in the app: kept by their own devices, listed for everyone."""

from __future__ import annotations

from tests.helpers import Api, problem
from tests.journeys.actors import device
from tests.miniapps.medical.conftest import BASE, Hospital, make_hospital


class TestSaveHospital:
    async def test_a_hospital_device_sets_up_and_updates_its_hospital(self, api: Api) -> None:
        desk = await device(api, "hospital")
        first = await api.client.put(
            f"{BASE}/hospital",
            json={"name": "邵逸夫医院", "registration_estimate": 30_000},
            headers=desk.headers,
        )
        assert first.status_code == 200, first.text
        again = await api.client.put(
            f"{BASE}/hospital",
            json={"name": "邵逸夫医院（庆春）", "registration_estimate": 80_000},
            headers=desk.headers,
        )
        assert again.status_code == 200, again.text
        assert again.json() == {
            "id": first.json()["id"],
            "name": "邵逸夫医院（庆春）",
            "registration_estimate": 80_000,
            "departments": [],
        }

    async def test_bad_input_is_refused(self, api: Api) -> None:
        desk = await device(api, "hospital")
        for body in (
            {"name": "", "registration_estimate": 1000},
            {"name": "医院", "registration_estimate": 0},
            {"name": "医院", "registration_estimate": 1.5},
            {"name": "医院"},
            {"name": "医院", "registration_estimate": 1000, "extra": 1},
        ):
            response = await api.client.put(f"{BASE}/hospital", json=body, headers=desk.headers)
            problem(response, 422, "validation_error")
        missing = await api.client.get(f"{BASE}/hospital", headers=desk.headers)
        problem(missing, 404, "hospital_not_set_up")

    async def test_only_a_hospitals_device_may(self, api: Api) -> None:
        body = {"name": "医院", "registration_estimate": 1000}
        citizen = await api.citizen()
        metro = await device(api, "metro")
        no_token = await api.client.put(f"{BASE}/hospital", json=body)
        problem(no_token, 401, "unauthorized")
        as_citizen = await api.client.put(f"{BASE}/hospital", json=body, headers=citizen.headers)
        problem(as_citizen, 403, "forbidden")
        wrong_kind = await api.client.put(f"{BASE}/hospital", json=body, headers=metro.headers)
        problem(wrong_kind, 403, "forbidden")
        junk = await api.client.put(
            f"{BASE}/hospital", json=body, headers={"Authorization": "Bearer junk"}
        )
        problem(junk, 401, "unauthorized")


class TestHospitalProfile:
    async def test_the_device_reads_its_own_hospital(self, api: Api, hospital: Hospital) -> None:
        response = await api.client.get(f"{BASE}/hospital", headers=hospital.gate.headers)
        assert response.status_code == 200, response.text
        assert response.json()["departments"] == [{"id": hospital.department_id, "name": "内科"}]


class TestAddDepartment:
    async def test_departments_are_unique_by_name(self, api: Api, hospital: Hospital) -> None:
        added = await api.client.post(
            f"{BASE}/hospital/departments", json={"name": "发热门诊"}, headers=hospital.gate.headers
        )
        assert added.status_code == 201, added.text
        twice = await api.client.post(
            f"{BASE}/hospital/departments", json={"name": "发热门诊"}, headers=hospital.gate.headers
        )
        problem(twice, 409, "conflict")

    async def test_refused_before_set_up_and_for_citizens(self, api: Api) -> None:
        desk = await device(api, "hospital")
        early = await api.client.post(
            f"{BASE}/hospital/departments", json={"name": "外科"}, headers=desk.headers
        )
        problem(early, 404, "hospital_not_set_up")
        citizen = await api.citizen()
        as_citizen = await api.client.post(
            f"{BASE}/hospital/departments", json={"name": "外科"}, headers=citizen.headers
        )
        problem(as_citizen, 403, "forbidden")
        empty = await api.client.post(
            f"{BASE}/hospital/departments", json={"name": ""}, headers=desk.headers
        )
        problem(empty, 422, "validation_error")


class TestListHospitals:
    async def test_anyone_lists_hospitals_page_by_page(self, api: Api) -> None:
        await make_hospital(api)
        await make_hospital(api)
        first = await api.client.get(f"{BASE}/hospitals", params={"limit": 1})
        assert first.status_code == 200, first.text
        page = first.json()
        assert len(page["items"]) == 1 and page["next_cursor"]
        second = await api.client.get(
            f"{BASE}/hospitals", params={"limit": 1, "cursor": page["next_cursor"]}
        )
        assert second.json()["items"][0]["id"] > page["items"][0]["id"]

    async def test_bad_paging_is_refused(self, api: Api) -> None:
        problem(
            await api.client.get(f"{BASE}/hospitals", params={"limit": 0}), 422, "validation_error"
        )
        problem(
            await api.client.get(f"{BASE}/hospitals", params={"cursor": "@@"}),
            422,
            "validation_error",
        )
