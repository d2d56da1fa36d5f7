"""Citizens register (a hold of the estimate), list their visits, cancel before treatment."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from tests.clocks import local_time
from tests.helpers import Api, Citizen, problem
from tests.journeys.actors import device, grant, keyed, wallet
from tests.miniapps.clock import stopped_time
from tests.miniapps.medical.conftest import (
    BASE,
    Hospital,
    add_charge,
    make_hospital,
    make_patient,
    register,
)


class TestRegister:
    async def test_registering_holds_the_estimate(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        visit = await register(api, hospital, patient)
        assert visit["status"] == "registered"
        assert visit["estimate"] == hospital.estimate == visit["total"] + hospital.estimate
        assert visit["hospital_id"] == hospital.id and visit["department_name"] == "内科"
        assert visit["charges"] == [] and visit["closed_at"] is None
        mine = await wallet(api, patient)
        assert mine["held"] == hospital.estimate

    async def test_a_retry_with_the_same_key_replays(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        body = {"hospital_id": hospital.id, "department_id": hospital.department_id}
        headers = keyed(patient.headers)
        first = await api.client.post(f"{BASE}/visits", json=body, headers=headers)
        again = await api.client.post(f"{BASE}/visits", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert (await wallet(api, patient))["held"] == hospital.estimate

    async def test_one_open_visit_per_hospital_a_day(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        await register(api, hospital, patient)
        twice = await api.client.post(
            f"{BASE}/visits",
            json={"hospital_id": hospital.id, "department_id": hospital.department_id},
            headers=keyed(patient.headers),
        )
        problem(twice, 409, "visit_exists")
        assert (await wallet(api, patient))["held"] == hospital.estimate
        elsewhere = await make_hospital(api, estimate=20_000)
        await register(api, elsewhere, patient)
        assert (await wallet(api, patient))["held"] == hospital.estimate + 20_000

    async def test_the_day_is_the_hangzhou_day(self, api: Api, hospital: Hospital) -> None:
        patient = await make_patient(api)
        new_year = date(2027, 1, 1)
        with stopped_time(local_time(new_year - timedelta(days=1), 23, 59, 59)) as clock:
            late = await register(api, hospital, patient)
            assert late["visit_day"] == "2026-12-31"
            clock.now = local_time(new_year, 0, 0, 0)
            first = await register(api, hospital, patient)
            assert first["visit_day"] == "2027-01-01"

    async def test_bad_input_holds_nothing(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        other = await make_hospital(api)
        for body in (
            {"hospital_id": hospital.id, "department_id": other.department_id},
            {"hospital_id": hospital.id, "department_id": "nope"},
            {"hospital_id": hospital.id},
            {"hospital_id": "", "department_id": hospital.department_id},
        ):
            response = await api.client.post(
                f"{BASE}/visits", json=body, headers=keyed(patient.headers)
            )
            problem(response, 422, "validation_error")
        no_key = await api.client.post(
            f"{BASE}/visits",
            json={"hospital_id": hospital.id, "department_id": hospital.department_id},
            headers=patient.headers,
        )
        problem(no_key, 422, "idempotency_key_required")
        assert (await wallet(api, patient))["held"] == 0

    async def test_more_than_the_credit_available_is_refused(
        self, api: Api, patient: Citizen
    ) -> None:
        costly = await make_hospital(api, estimate=9_000_000)
        response = await api.client.post(
            f"{BASE}/visits",
            json={"hospital_id": costly.id, "department_id": costly.department_id},
            headers=keyed(patient.headers),
        )
        problem(response, 402, "credit_limit_exceeded")
        visits = await api.client.get(f"{BASE}/visits", headers=patient.headers)
        assert visits.json()["items"] == []

    async def test_a_citizen_without_real_name_is_refused(
        self, api: Api, hospital: Hospital
    ) -> None:
        citizen = await api.citizen(verified=False)
        await grant(api, citizen, "medical", "wallet.charge")
        response = await api.client.post(
            f"{BASE}/visits",
            json={"hospital_id": hospital.id, "department_id": hospital.department_id},
            headers=keyed(citizen.headers),
        )
        problem(response, 403, "real_name_required")
        visits = await api.client.get(f"{BASE}/visits", headers=citizen.headers)
        assert visits.json()["items"] == []

    async def test_refused_callers(self, api: Api, hospital: Hospital) -> None:
        body = {"hospital_id": hospital.id, "department_id": hospital.department_id}
        ungranted = await api.citizen()
        response = await api.client.post(
            f"{BASE}/visits", json=body, headers=keyed(ungranted.headers)
        )
        problem(response, 403, "scope_required")
        no_token = await api.client.post(f"{BASE}/visits", json=body, headers=keyed({}))
        problem(no_token, 401, "unauthorized")
        as_gate = await api.client.post(
            f"{BASE}/visits", json=body, headers=keyed(hospital.gate.headers)
        )
        problem(as_gate, 403, "forbidden")
        park_gate = await device(api, "park")
        wrong_kind = await api.client.post(
            f"{BASE}/visits", json=body, headers=keyed(park_gate.headers)
        )
        problem(wrong_kind, 403, "forbidden")


class TestListVisits:
    async def test_a_citizen_sees_only_their_visits_newest_first(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        other_hospital = await make_hospital(api)
        first = await register(api, hospital, patient)
        second = await register(api, other_hospital, patient)
        stranger = await make_patient(api)
        await register(api, hospital, stranger)
        page = await api.client.get(f"{BASE}/visits", params={"limit": 1}, headers=patient.headers)
        assert page.status_code == 200, page.text
        assert [v["id"] for v in page.json()["items"]] == [second["id"]]
        rest = await api.client.get(
            f"{BASE}/visits",
            params={"limit": 1, "cursor": page.json()["next_cursor"]},
            headers=patient.headers,
        )
        assert [v["id"] for v in rest.json()["items"]] == [first["id"]]
        assert rest.json()["next_cursor"] is None

    async def test_refused_callers(self, api: Api, hospital: Hospital) -> None:
        problem(await api.client.get(f"{BASE}/visits"), 401, "unauthorized")
        as_gate = await api.client.get(f"{BASE}/visits", headers=hospital.gate.headers)
        problem(as_gate, 403, "forbidden")


class TestGetVisit:
    async def test_own_visit_with_charges_and_nobody_elses(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        visit = await register(api, hospital, patient)
        await add_charge(api, hospital, visit["id"], 1200)
        mine = await api.client.get(f"{BASE}/visits/{visit['id']}", headers=patient.headers)
        assert mine.status_code == 200, mine.text
        assert mine.json()["total"] == 1200
        assert [(c["item"], c["amount"]) for c in mine.json()["charges"]] == [("血常规", 1200)]
        stranger = await api.citizen()
        theirs = await api.client.get(f"{BASE}/visits/{visit['id']}", headers=stranger.headers)
        problem(theirs, 404, "not_found")
        problem(
            await api.client.get(f"{BASE}/visits/{uuid.uuid4()}", headers=patient.headers),
            404,
            "not_found",
        )


class TestCancelVisit:
    async def test_the_patient_cancels_before_treatment(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        visit = await register(api, hospital, patient)
        cancelled = await api.client.post(
            f"{BASE}/visits/{visit['id']}/cancel", headers=patient.headers
        )
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["released"] == hospital.estimate
        assert (await wallet(api, patient))["held"] == 0
        again = await api.client.post(
            f"{BASE}/visits/{visit['id']}/cancel", headers=patient.headers
        )
        problem(again, 409, "visit_not_open")
        # Cancelling frees the day: the patient may register again.
        await register(api, hospital, patient)

    async def test_after_a_charge_only_the_hospital_cancels(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        visit = await register(api, hospital, patient)
        await add_charge(api, hospital, visit["id"], 500)
        refused = await api.client.post(
            f"{BASE}/visits/{visit['id']}/cancel", headers=patient.headers
        )
        problem(refused, 409, "visit_has_charges")
        by_hospital = await api.client.post(
            f"{BASE}/visits/{visit['id']}/cancel", headers=keyed(hospital.gate.headers)
        )
        assert by_hospital.status_code == 200, by_hospital.text
        assert by_hospital.json()["status"] == "cancelled"
        assert (await wallet(api, patient))["held"] == 0
        assert (await wallet(api, patient))["outstanding"] == 0

    async def test_strangers_and_other_hospitals_cannot(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        visit = await register(api, hospital, patient)
        stranger = await api.citizen()
        theirs = await api.client.post(
            f"{BASE}/visits/{visit['id']}/cancel", headers=stranger.headers
        )
        problem(theirs, 404, "not_found")
        other = await make_hospital(api)
        elsewhere = await api.client.post(
            f"{BASE}/visits/{visit['id']}/cancel", headers=other.gate.headers
        )
        problem(elsewhere, 404, "not_found")
        problem(await api.client.post(f"{BASE}/visits/{visit['id']}/cancel"), 401, "unauthorized")
        assert (await wallet(api, patient))["held"] == hospital.estimate
