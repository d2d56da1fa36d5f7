"""Entry and exit events from the barriers: the barrier opens only for an active wallet, and
the fee is charged to credit at exit."""

from __future__ import annotations

from datetime import timedelta

from tests.app.portal import in_app
from tests.helpers import Api, Citizen, Gate, problem
from tests.miniapps.parking.drivers import (
    BASE,
    ParkingClock,
    barrier,
    car_park,
    driver,
    grant,
    keyed,
    new_plate,
    wallet,
    wallet_time,
)

ENTRIES, EXITS = f"{BASE}/gate/entries", f"{BASE}/gate/exits"


async def enter(api: Api, gate: Gate, plate: str) -> dict[str, object]:
    response = await api.client.post(ENTRIES, json={"plate": plate}, headers=gate.headers)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def stays_of(api: Api, citizen: Citizen) -> list[dict[str, object]]:
    response = await api.client.get(f"{BASE}/stays", headers=citizen.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def overdue_bill(api: Api, citizen: Citizen) -> None:
    """A bill from another merchant that falls overdue once the wallet's clock moves on."""
    from wallet import service

    await in_app(api.client, service.charge, citizen.id, "test-other-shop", 100, "午餐")


class TestEntry:
    async def test_a_bound_plate_with_an_active_wallet_enters(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str], clock: ParkingClock
    ) -> None:
        citizen, plate = motorist
        before = await wallet(api, citizen)
        stay = await enter(api, park, plate)
        assert stay["status"] == "parked"
        assert stay["plate"] == plate
        assert stay["car_park_id"] == park.venue_id
        assert stay["entered_at"].startswith(clock.now.strftime("%Y-%m-%dT%H:%M:%S"))  # type: ignore[attr-defined]
        assert stay["fee_amount"] == 0
        after = await wallet(api, citizen)
        assert (after["held"], after["outstanding"]) == (before["held"], before["outstanding"])

    async def test_the_same_car_read_again_is_the_same_stay(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str]
    ) -> None:
        _, plate = motorist
        first = await enter(api, park, plate)
        second = await enter(api, await barrier(api, park), plate)
        assert second["id"] == first["id"]

    async def test_an_idempotent_retry_replays(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str]
    ) -> None:
        _, plate = motorist
        headers = keyed(park.headers)
        first = await api.client.post(ENTRIES, json={"plate": plate}, headers=headers)
        again = await api.client.post(ENTRIES, json={"plate": plate}, headers=headers)
        assert again.status_code == 201
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.json() == first.json()

    async def test_an_unbound_plate_is_refused(self, api: Api, park: Gate) -> None:
        response = await api.client.post(ENTRIES, json={"plate": new_plate()}, headers=park.headers)
        problem(response, 404, "plate_not_registered")

    async def test_a_suspended_wallet_keeps_the_barrier_closed(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str]
    ) -> None:
        citizen, plate = motorist
        await overdue_bill(api, citizen)
        with wallet_time(timedelta(days=40)):
            response = await api.client.post(ENTRIES, json={"plate": plate}, headers=park.headers)
            problem(response, 402, "wallet_suspended")
            assert await stays_of(api, citizen) == []
            assert (await wallet(api, citizen))["held"] == 0, "the entry check left a hold"

    async def test_a_citizen_without_real_name_is_refused(self, api: Api, park: Gate) -> None:
        _, plate = await driver(api, verified=False)
        response = await api.client.post(ENTRIES, json={"plate": plate}, headers=park.headers)
        problem(response, 403, "real_name_required")

    async def test_a_revoked_grant_is_refused(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str]
    ) -> None:
        citizen, plate = motorist
        revoked = await api.client.delete("/api/v1/me/grants/parking", headers=citizen.headers)
        assert revoked.status_code == 204, revoked.text
        response = await api.client.post(ENTRIES, json={"plate": plate}, headers=park.headers)
        problem(response, 403, "scope_required")

    async def test_no_credit_left_is_refused(self, api: Api, park: Gate) -> None:
        citizen, plate = await driver(api, credit_limit=0)
        response = await api.client.post(ENTRIES, json={"plate": plate}, headers=park.headers)
        problem(response, 402, "credit_limit_exceeded")
        assert await stays_of(api, citizen) == []

    async def test_a_car_inside_another_car_park_is_refused(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str]
    ) -> None:
        _, plate = motorist
        await enter(api, park, plate)
        elsewhere = await car_park(api)
        response = await api.client.post(ENTRIES, json={"plate": plate}, headers=elsewhere.headers)
        problem(response, 409, "already_parked")

    async def test_a_venue_without_a_tariff_is_refused(
        self, api: Api, motorist: tuple[Citizen, str]
    ) -> None:
        _, plate = motorist
        gate = await api.gate("mall")
        response = await api.client.post(ENTRIES, json={"plate": plate}, headers=gate.headers)
        problem(response, 409, "car_park_not_configured")

    async def test_not_a_plate(self, api: Api, park: Gate) -> None:
        response = await api.client.post(ENTRIES, json={"plate": "XYZ"}, headers=park.headers)
        problem(response, 422, "validation_error")
        missing = await api.client.post(ENTRIES, json={}, headers=park.headers)
        problem(missing, 422, "validation_error")

    async def test_a_citizen_is_not_a_barrier(
        self, api: Api, motorist: tuple[Citizen, str]
    ) -> None:
        citizen, plate = motorist
        response = await api.client.post(ENTRIES, json={"plate": plate}, headers=citizen.headers)
        problem(response, 403, "forbidden")

    async def test_a_metro_gate_is_not_a_barrier(
        self, api: Api, motorist: tuple[Citizen, str]
    ) -> None:
        _, plate = motorist
        gate = await api.gate("metro")
        response = await api.client.post(ENTRIES, json={"plate": plate}, headers=gate.headers)
        problem(response, 403, "forbidden")

    async def test_no_token(self, api: Api, motorist: tuple[Citizen, str]) -> None:
        _, plate = motorist
        problem(await api.client.post(ENTRIES, json={"plate": plate}), 401, "unauthorized")


class TestExit:
    async def test_the_fee_is_charged_to_credit_at_exit(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str], clock: ParkingClock
    ) -> None:
        citizen, plate = motorist
        stay = await enter(api, park, plate)
        before = await wallet(api, citizen)
        clock.advance(hours=2, minutes=10)
        response = await api.client.post(
            EXITS, json={"plate": plate}, headers=keyed((await barrier(api, park)).headers)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["id"] == stay["id"]
        assert body["status"] == "exited"
        assert (body["minutes"], body["fee_amount"]) == (130, 1500)
        assert body["settled_by"] == "wallet" and body["charge_id"]
        after = await wallet(api, citizen)
        assert after["outstanding"] == before["outstanding"] + 1500
        entries = await api.client.get("/api/v1/wallet/entries", headers=citizen.headers)
        charge = entries.json()["items"][0]
        assert (charge["kind"], charge["amount"], charge["miniapp"]) == ("charge", 1500, "parking")
        assert plate in charge["memo"]

    async def test_a_short_stop_is_free_and_charges_nothing(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str], clock: ParkingClock
    ) -> None:
        citizen, plate = motorist
        await enter(api, park, plate)
        clock.advance(minutes=15)
        response = await api.client.post(EXITS, json={"plate": plate}, headers=keyed(park.headers))
        assert response.status_code == 200, response.text
        assert response.json()["fee_amount"] == 0
        assert response.json()["charge_id"] is None
        assert (await wallet(api, citizen))["outstanding"] == 0

    async def test_the_car_can_enter_again_after_leaving(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str]
    ) -> None:
        _, plate = motorist
        first = await enter(api, park, plate)
        response = await api.client.post(EXITS, json={"plate": plate}, headers=keyed(park.headers))
        assert response.status_code == 200, response.text
        second = await enter(api, park, plate)
        assert second["id"] != first["id"]

    async def test_a_retried_exit_charges_once(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str], clock: ParkingClock
    ) -> None:
        citizen, plate = motorist
        await enter(api, park, plate)
        clock.advance(hours=3)
        headers = keyed(park.headers)
        first = await api.client.post(EXITS, json={"plate": plate}, headers=headers)
        again = await api.client.post(EXITS, json={"plate": plate}, headers=headers)
        assert again.status_code == 200
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.json() == first.json()
        assert (await wallet(api, citizen))["outstanding"] == 1500

    async def test_paid_at_the_booth_charges_nothing(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str], clock: ParkingClock
    ) -> None:
        citizen, plate = motorist
        await enter(api, park, plate)
        clock.advance(hours=1)
        response = await api.client.post(
            EXITS, json={"plate": plate, "settle": "booth"}, headers=keyed(park.headers)
        )
        assert response.status_code == 200, response.text
        assert (response.json()["fee_amount"], response.json()["settled_by"]) == (500, "booth")
        assert response.json()["charge_id"] is None
        assert (await wallet(api, citizen))["outstanding"] == 0

    async def test_a_refused_charge_keeps_the_stay_open(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str], clock: ParkingClock
    ) -> None:
        citizen, plate = motorist
        await enter(api, park, plate)
        await overdue_bill(api, citizen)
        clock.advance(hours=5)
        with wallet_time(timedelta(days=40)):
            response = await api.client.post(
                EXITS, json={"plate": plate}, headers=keyed(park.headers)
            )
            problem(response, 402, "wallet_suspended")
        [stay] = await stays_of(api, citizen)
        assert stay["status"] == "parked"
        assert stay["fee_amount"] == 2500

    async def test_the_tariff_of_the_entry_applies(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str], clock: ParkingClock
    ) -> None:
        _, plate = motorist
        await enter(api, park, plate)
        pricier = {
            "name": "涨价",
            "free_minutes": 0,
            "hourly_amount": 900,
            "daily_cap_amount": 9000,
        }
        changed = await api.client.put(
            f"{BASE}/device/car-park", json=pricier, headers=park.headers
        )
        assert changed.status_code == 200, changed.text
        clock.advance(hours=1)
        response = await api.client.post(EXITS, json={"plate": plate}, headers=keyed(park.headers))
        assert response.json()["fee_amount"] == 500

    async def test_a_plate_that_is_not_inside_is_404(self, api: Api, park: Gate) -> None:
        response = await api.client.post(
            EXITS, json={"plate": new_plate()}, headers=keyed(park.headers)
        )
        problem(response, 404, "stay_not_found")

    async def test_the_exit_must_be_at_the_same_car_park(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str]
    ) -> None:
        _, plate = motorist
        await enter(api, park, plate)
        elsewhere = await car_park(api)
        response = await api.client.post(
            EXITS, json={"plate": plate}, headers=keyed(elsewhere.headers)
        )
        problem(response, 404, "stay_not_found")

    async def test_an_idempotency_key_is_required(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str]
    ) -> None:
        citizen, plate = motorist
        await enter(api, park, plate)
        response = await api.client.post(EXITS, json={"plate": plate}, headers=park.headers)
        problem(response, 422, "idempotency_key_required")
        [stay] = await stays_of(api, citizen)
        assert stay["status"] == "parked"

    async def test_an_unknown_settlement_is_422(
        self, api: Api, park: Gate, motorist: tuple[Citizen, str]
    ) -> None:
        _, plate = motorist
        response = await api.client.post(
            EXITS, json={"plate": plate, "settle": "cash"}, headers=keyed(park.headers)
        )
        problem(response, 422, "validation_error")

    async def test_refused_callers(self, api: Api, motorist: tuple[Citizen, str]) -> None:
        citizen, plate = motorist
        body = {"plate": plate}
        problem(await api.client.post(EXITS, json=body, headers=keyed({})), 401, "unauthorized")
        problem(
            await api.client.post(EXITS, json=body, headers=keyed(citizen.headers)),
            403,
            "forbidden",
        )
        hotel = await api.gate("hotel")
        problem(
            await api.client.post(EXITS, json=body, headers=keyed(hotel.headers)), 403, "forbidden"
        )


async def test_grant_helper_sees_the_real_consent(api: Api) -> None:
    """The grant used by these tests is the platform's own: the app's context sees it."""
    citizen = await api.citizen()
    await grant(api, citizen, "wallet.charge")
    grants = await api.client.get("/api/v1/me/grants", headers=citizen.headers)
    assert [g["slug"] for g in grants.json()["items"]] == ["parking"]
