"""Plates bound to citizens: who pays for a car's stays."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.helpers import Api, Citizen, Gate, problem
from tests.miniapps.parking.drivers import BASE, grant, keyed, new_plate


class TestBindPlate:
    async def test_a_citizen_binds_a_plate(self, api: Api) -> None:
        citizen = await api.citizen()
        await grant(api, citizen, "wallet.charge")
        plate = new_plate()
        response = await api.client.post(
            f"{BASE}/plates", json={"plate": plate}, headers=citizen.headers
        )
        assert response.status_code == 201, response.text
        assert response.json()["plate"] == plate
        listed = await api.client.get(f"{BASE}/plates", headers=citizen.headers)
        assert [p["plate"] for p in listed.json()["items"]] == [plate]

    async def test_the_plate_is_normalised(self, api: Api) -> None:
        citizen = await api.citizen()
        await grant(api, citizen, "wallet.charge")
        plate = new_plate()
        spaced = f"{plate[:2].lower()}·{plate[2:]} "
        response = await api.client.post(
            f"{BASE}/plates", json={"plate": spaced}, headers=citizen.headers
        )
        assert response.status_code == 201, response.text
        assert response.json()["plate"] == plate

    async def test_a_new_energy_plate_has_eight_characters(self, api: Api) -> None:
        citizen = await api.citizen()
        await grant(api, citizen, "wallet.charge")
        plate = "粤B" + "D" + new_plate()[3:]
        response = await api.client.post(
            f"{BASE}/plates", json={"plate": plate + "F"}, headers=citizen.headers
        )
        assert response.status_code == 201, response.text

    async def test_binding_again_is_harmless(self, api: Api, motorist: tuple[Citizen, str]) -> None:
        citizen, plate = motorist
        again = await api.client.post(
            f"{BASE}/plates", json={"plate": plate}, headers=citizen.headers
        )
        assert again.status_code == 201, again.text
        listed = await api.client.get(f"{BASE}/plates", headers=citizen.headers)
        assert len(listed.json()["items"]) == 1

    async def test_someone_elses_plate_is_refused(
        self, api: Api, motorist: tuple[Citizen, str]
    ) -> None:
        _, plate = motorist
        other = await api.citizen()
        await grant(api, other, "wallet.charge")
        response = await api.client.post(
            f"{BASE}/plates", json={"plate": plate}, headers=other.headers
        )
        problem(response, 409, "plate_taken")

    async def test_at_most_five_plates(self, api: Api) -> None:
        citizen = await api.citizen()
        await grant(api, citizen, "wallet.charge")
        for _ in range(5):
            response = await api.client.post(
                f"{BASE}/plates", json={"plate": new_plate()}, headers=citizen.headers
            )
            assert response.status_code == 201, response.text
        sixth = new_plate()
        response = await api.client.post(
            f"{BASE}/plates", json={"plate": sixth}, headers=citizen.headers
        )
        problem(response, 409, "plate_limit_reached")
        other = await api.citizen()
        await grant(api, other, "wallet.charge")
        free = await api.client.post(f"{BASE}/plates", json={"plate": sixth}, headers=other.headers)
        assert free.status_code == 201, "the refused plate was not left bound"

    @pytest.mark.parametrize("plate", ["ABC123", "浙A1234", "浙I12345", "浙A1234567", "浙A12 34!"])
    async def test_not_a_plate(self, api: Api, plate: str) -> None:
        citizen = await api.citizen()
        await grant(api, citizen, "wallet.charge")
        response = await api.client.post(
            f"{BASE}/plates", json={"plate": plate}, headers=citizen.headers
        )
        body = problem(response, 422, "validation_error")
        assert body["errors"][0]["field"] == "plate"

    async def test_malformed_json_is_400(self, api: Api) -> None:
        citizen = await api.citizen()
        await grant(api, citizen, "wallet.charge")
        response = await api.client.post(
            f"{BASE}/plates",
            content=b"{",
            headers={**citizen.headers, "Content-Type": "application/json"},
        )
        problem(response, 400, "malformed_request")

    async def test_without_granting_wallet_charge(self, api: Api) -> None:
        citizen = await api.citizen()
        response = await api.client.post(
            f"{BASE}/plates", json={"plate": new_plate()}, headers=citizen.headers
        )
        problem(response, 403, "scope_required")

    async def test_no_token(self, api: Api) -> None:
        response = await api.client.post(f"{BASE}/plates", json={"plate": new_plate()})
        problem(response, 401, "unauthorized")

    async def test_a_gate_is_not_a_citizen(self, api: Api, park: Gate) -> None:
        response = await api.client.post(
            f"{BASE}/plates", json={"plate": new_plate()}, headers=park.headers
        )
        problem(response, 403, "forbidden")


class TestListPlates:
    async def test_pages(self, api: Api) -> None:
        citizen = await api.citizen()
        await grant(api, citizen, "wallet.charge")
        plates = {new_plate() for _ in range(3)}
        for plate in plates:
            await api.client.post(f"{BASE}/plates", json={"plate": plate}, headers=citizen.headers)
        first = (await api.client.get(f"{BASE}/plates?limit=2", headers=citizen.headers)).json()
        assert len(first["items"]) == 2 and first["next_cursor"]
        rest = await api.client.get(
            f"{BASE}/plates", params={"cursor": first["next_cursor"]}, headers=citizen.headers
        )
        assert rest.json()["next_cursor"] is None
        assert {p["plate"] for p in first["items"] + rest.json()["items"]} == plates

    async def test_no_token(self, api: Api) -> None:
        problem(await api.client.get(f"{BASE}/plates"), 401, "unauthorized")


class TestUnbindPlate:
    async def test_unbind(self, api: Api, motorist: tuple[Citizen, str]) -> None:
        citizen, plate = motorist
        response = await api.client.delete(f"{BASE}/plates/{quote(plate)}", headers=citizen.headers)
        assert response.status_code == 204, response.text
        listed = await api.client.get(f"{BASE}/plates", headers=citizen.headers)
        assert listed.json()["items"] == []

    async def test_someone_elses_plate_is_404(
        self, api: Api, motorist: tuple[Citizen, str]
    ) -> None:
        _, plate = motorist
        other = await api.citizen()
        response = await api.client.delete(f"{BASE}/plates/{quote(plate)}", headers=other.headers)
        problem(response, 404, "not_found")

    async def test_not_a_plate_is_422(self, api: Api) -> None:
        citizen = await api.citizen()
        response = await api.client.delete(f"{BASE}/plates/ABC", headers=citizen.headers)
        problem(response, 422, "validation_error")

    async def test_refused_while_the_car_is_inside(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str]
    ) -> None:
        citizen, plate = motorist
        entered = await api.client.post(
            f"{BASE}/gate/entries", json={"plate": plate}, headers=keyed(park.headers)
        )
        assert entered.status_code == 201, entered.text
        response = await api.client.delete(f"{BASE}/plates/{quote(plate)}", headers=citizen.headers)
        problem(response, 409, "plate_in_use")

    async def test_no_token(self, api: Api) -> None:
        response = await api.client.delete(f"{BASE}/plates/{quote(new_plate())}")
        problem(response, 401, "unauthorized")
