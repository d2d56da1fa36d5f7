"""Hospital devices: the health code as the medical card, charges, and settlement."""

from __future__ import annotations

import uuid

from tests.helpers import Api, Citizen, problem
from tests.journeys.actors import device, health_code, keyed, wallet
from tests.miniapps.medical.conftest import (
    BASE,
    Hospital,
    add_charge,
    make_hospital,
    register,
)


class TestCardScan:
    async def test_the_code_finds_todays_visit(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        code = await health_code(api, patient)
        visit = await register(api, hospital, patient)
        response = await api.client.post(
            f"{BASE}/card-scans", json={"code": code}, headers=hospital.gate.headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["colour"] == "green"
        assert response.json()["visit"]["id"] == visit["id"]
        other = await make_hospital(api)
        elsewhere = await api.client.post(
            f"{BASE}/card-scans", json={"code": code}, headers=other.gate.headers
        )
        assert elsewhere.json()["visit"] is None

    async def test_any_colour_is_read_with_the_colour_shown(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        code = await health_code(api, patient, "yellow")
        response = await api.client.post(
            f"{BASE}/card-scans", json={"code": code}, headers=hospital.gate.headers
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"colour": "yellow", "visit": None}

    async def test_a_scan_is_in_the_citizens_data_access_log(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        code = await health_code(api, patient)
        await api.client.post(
            f"{BASE}/card-scans", json={"code": code}, headers=hospital.gate.headers
        )
        log = await api.client.get("/api/v1/me/data-access", headers=patient.headers)
        assert any(
            item["slug"] == "medical" and item["what"] == "device_scan"
            for item in log.json()["items"]
        )

    async def test_bad_codes_are_refused(self, api: Api, hospital: Hospital) -> None:
        for code in ("not a code", "CB1:eyJ.eyJ.sig"):
            response = await api.client.post(
                f"{BASE}/card-scans", json={"code": code}, headers=hospital.gate.headers
            )
            problem(response, 422, "code_invalid")
        empty = await api.client.post(
            f"{BASE}/card-scans", json={"code": ""}, headers=hospital.gate.headers
        )
        problem(empty, 422, "validation_error")

    async def test_refused_callers(self, api: Api, patient: Citizen) -> None:
        code = await health_code(api, patient)
        as_citizen = await api.client.post(
            f"{BASE}/card-scans", json={"code": code}, headers=patient.headers
        )
        problem(as_citizen, 403, "forbidden")
        hotel = await device(api, "hotel")
        wrong_kind = await api.client.post(
            f"{BASE}/card-scans", json={"code": code}, headers=hotel.headers
        )
        problem(wrong_kind, 403, "forbidden")
        problem(
            await api.client.post(f"{BASE}/card-scans", json={"code": code}), 401, "unauthorized"
        )
        unset = await device(api, "hospital")
        early = await api.client.post(
            f"{BASE}/card-scans", json={"code": code}, headers=unset.headers
        )
        problem(early, 404, "hospital_not_set_up")


class TestAddCharge:
    async def test_charges_add_up_to_the_estimate_and_no_further(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        visit = await register(api, hospital, patient)
        charge = await add_charge(api, hospital, visit["id"], hospital.estimate - 100)
        assert charge["amount"] == hospital.estimate - 100 and charge["item"] == "血常规"
        too_much = await api.client.post(
            f"{BASE}/visits/{visit['id']}/charges",
            json={"item": "CT", "amount": 101},
            headers=keyed(hospital.gate.headers),
        )
        problem(too_much, 409, "bill_exceeds_estimate")
        await add_charge(api, hospital, visit["id"], 100)
        mine = await api.client.get(f"{BASE}/visits/{visit['id']}", headers=patient.headers)
        assert mine.json()["total"] == hospital.estimate
        assert len(mine.json()["charges"]) == 2

    async def test_a_device_retry_adds_the_charge_once(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        visit = await register(api, hospital, patient)
        headers = keyed(hospital.gate.headers)
        body = {"item": "挂号费", "amount": 1500}
        url = f"{BASE}/visits/{visit['id']}/charges"
        first = await api.client.post(url, json=body, headers=headers)
        again = await api.client.post(url, json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        mine = await api.client.get(f"{BASE}/visits/{visit['id']}", headers=patient.headers)
        assert mine.json()["total"] == 1500

    async def test_bad_input_and_closed_visits(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        visit = await register(api, hospital, patient)
        url = f"{BASE}/visits/{visit['id']}/charges"
        for body in ({"item": "", "amount": 100}, {"item": "药", "amount": 0}, {"item": "药"}):
            response = await api.client.post(url, json=body, headers=keyed(hospital.gate.headers))
            problem(response, 422, "validation_error")
        no_key = await api.client.post(
            url, json={"item": "药", "amount": 100}, headers=hospital.gate.headers
        )
        problem(no_key, 422, "idempotency_key_required")
        unknown = await api.client.post(
            f"{BASE}/visits/{uuid.uuid4()}/charges",
            json={"item": "药", "amount": 100},
            headers=keyed(hospital.gate.headers),
        )
        problem(unknown, 404, "not_found")
        await api.client.post(f"{BASE}/visits/{visit['id']}/cancel", headers=patient.headers)
        closed = await api.client.post(
            url, json={"item": "药", "amount": 100}, headers=keyed(hospital.gate.headers)
        )
        problem(closed, 409, "visit_not_open")

    async def test_refused_callers(self, api: Api, hospital: Hospital, patient: Citizen) -> None:
        visit = await register(api, hospital, patient)
        url = f"{BASE}/visits/{visit['id']}/charges"
        body = {"item": "药", "amount": 100}
        problem(
            await api.client.post(url, json=body, headers=keyed(patient.headers)), 403, "forbidden"
        )
        other = await make_hospital(api)
        elsewhere = await api.client.post(url, json=body, headers=keyed(other.gate.headers))
        problem(elsewhere, 404, "not_found")
        problem(await api.client.post(url, json=body, headers=keyed({})), 401, "unauthorized")
        mine = await api.client.get(f"{BASE}/visits/{visit['id']}", headers=patient.headers)
        assert mine.json()["total"] == 0


class TestSettle:
    async def test_settlement_captures_the_bill_and_releases_the_rest(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        visit = await register(api, hospital, patient)
        await add_charge(api, hospital, visit["id"], 12_000)
        await add_charge(api, hospital, visit["id"], 3_000)
        settled = await api.client.post(
            f"{BASE}/visits/{visit['id']}/settle", headers=keyed(hospital.gate.headers)
        )
        assert settled.status_code == 200, settled.text
        body = settled.json()
        assert (body["status"], body["captured"], body["released"]) == (
            "settled",
            15_000,
            hospital.estimate - 15_000,
        )
        mine = await wallet(api, patient)
        assert (mine["held"], mine["outstanding"]) == (0, 15_000)
        assert mine["next_due"]["amount"] == 15_000

    async def test_an_empty_bill_voids_the_hold(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        visit = await register(api, hospital, patient)
        settled = await api.client.post(
            f"{BASE}/visits/{visit['id']}/settle", headers=keyed(hospital.gate.headers)
        )
        assert settled.status_code == 200, settled.text
        assert (settled.json()["captured"], settled.json()["released"]) == (0, hospital.estimate)
        mine = await wallet(api, patient)
        assert (mine["held"], mine["outstanding"]) == (0, 0)

    async def test_settled_once_whatever_the_retries(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        visit = await register(api, hospital, patient)
        await add_charge(api, hospital, visit["id"], 2_000)
        url = f"{BASE}/visits/{visit['id']}/settle"
        headers = keyed(hospital.gate.headers)
        first = await api.client.post(url, headers=headers)
        replay = await api.client.post(url, headers=headers)
        assert replay.json() == first.json() and replay.headers["Idempotent-Replayed"] == "true"
        again = await api.client.post(url, headers=keyed(hospital.gate.headers))
        problem(again, 409, "visit_not_open")
        assert (await wallet(api, patient))["outstanding"] == 2_000

    async def test_refused_callers(self, api: Api, hospital: Hospital, patient: Citizen) -> None:
        visit = await register(api, hospital, patient)
        url = f"{BASE}/visits/{visit['id']}/settle"
        problem(await api.client.post(url, headers=keyed(patient.headers)), 403, "forbidden")
        problem(
            await api.client.post(url, headers=hospital.gate.headers),
            422,
            "idempotency_key_required",
        )
        other = await make_hospital(api)
        problem(await api.client.post(url, headers=keyed(other.gate.headers)), 404, "not_found")
        assert (await wallet(api, patient))["held"] == hospital.estimate


class TestBills:
    async def test_settled_visits_are_the_citizens_bills(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        visit = await register(api, hospital, patient)
        await add_charge(api, hospital, visit["id"], 8_800)
        await api.client.post(
            f"{BASE}/visits/{visit['id']}/settle", headers=keyed(hospital.gate.headers)
        )
        other = await make_hospital(api)
        cancelled = await register(api, other, patient)
        await api.client.post(f"{BASE}/visits/{cancelled['id']}/cancel", headers=patient.headers)
        bills = await api.client.get(f"{BASE}/bills", headers=patient.headers)
        assert bills.status_code == 200, bills.text
        [bill] = bills.json()["items"]
        assert (bill["visit_id"], bill["amount"]) == (visit["id"], 8_800)
        assert [item["amount"] for item in bill["items"]] == [8_800]
        assert bill["hospital_name"] == "浙一医院" and bill["settled_at"]

    async def test_refused_callers(self, api: Api, hospital: Hospital) -> None:
        problem(await api.client.get(f"{BASE}/bills"), 401, "unauthorized")
        problem(
            await api.client.get(f"{BASE}/bills", headers=hospital.gate.headers),
            403,
            "forbidden",
        )


class TestHoldExpired:
    async def test_a_lapsed_hold_closes_the_visit(
        self, api: Api, hospital: Hospital, patient: Citizen
    ) -> None:
        from miniapps.registry import get_registry
        from tests.app.portal import in_app

        visit = await register(api, hospital, patient)
        delivered = await in_app(
            api.client,
            get_registry().deliver_event,
            "medical",
            event_id=str(uuid.uuid4()),
            kind="hold.expired",
            created_at=None,
            data={"hold_id": visit["hold_id"], "amount": hospital.estimate},
        )
        assert delivered
        mine = await api.client.get(f"{BASE}/visits/{visit['id']}", headers=patient.headers)
        assert mine.json()["status"] == "expired"
        await register(api, hospital, patient)  # the day is free again
