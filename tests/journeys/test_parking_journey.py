"""Leave first, pay later: a driver binds a plate once, then drives in and out of a mall's car
park; the barrier opens for an active wallet, the fee goes to credit at exit, an overdue bill
keeps the barrier closed until it is repaid."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from tests.helpers import Api, problem
from tests.miniapps.parking.drivers import (
    BASE,
    barrier,
    grant,
    keyed,
    new_plate,
    parking_time,
    wallet,
    wallet_time,
)


async def test_parking_journey(api: Api) -> None:
    client = api.client
    with parking_time() as clock:
        # The mall's operator terminal and its two barriers are gates of the mall venue.
        terminal = await api.gate("mall")
        tariff = {
            "name": "湖滨银泰停车场",
            "free_minutes": 15,
            "hourly_amount": 600,
            "daily_cap_amount": 5000,
        }
        configured = await client.put(
            f"{BASE}/device/car-park", json=tariff, headers=terminal.headers
        )
        assert configured.status_code == 200, configured.text
        entry, exit_ = await barrier(api, terminal), await barrier(api, terminal)
        public = await client.get(f"{BASE}/car-parks/{terminal.venue_id}")
        assert public.json()["hourly_amount"] == 600

        # A driver signs in, verifies their name, consents to pay later and binds a plate.
        driver = await api.citizen(name="陈司机")
        await grant(api, driver, "wallet.charge")
        plate = new_plate()
        bound = await client.post(
            f"{BASE}/plates",
            json={"plate": f" {plate[:2]}·{plate[2:].lower()}"},
            headers=driver.headers,
        )
        assert bound.status_code == 201, bound.text
        assert bound.json()["plate"] == plate

        # In at 08:00; half an hour later the app shows what leaving would cost.
        entered = await client.post(
            f"{BASE}/gate/entries", json={"plate": plate}, headers=keyed(entry.headers)
        )
        assert entered.status_code == 201, entered.text
        clock.advance(minutes=30)
        stays = (await client.get(f"{BASE}/stays", headers=driver.headers)).json()["items"]
        assert (stays[0]["status"], stays[0]["fee_amount"]) == ("parked", 600)

        # Out the next day: a full day at the cap, then three started hours.
        clock.advance(days=1, hours=2, minutes=10)
        left = await client.post(
            f"{BASE}/gate/exits", json={"plate": plate}, headers=keyed(exit_.headers)
        )
        assert left.status_code == 200, left.text
        stay: dict[str, Any] = left.json()
        assert (stay["status"], stay["fee_amount"]) == ("exited", 5000 + 3 * 600)
        owed = (await wallet(api, driver))["outstanding"]
        assert owed == 6800
        entries = (await client.get("/api/v1/wallet/entries", headers=driver.headers)).json()
        assert (entries["items"][0]["kind"], entries["items"][0]["miniapp"]) == (
            "charge",
            "parking",
        )
        log = (await client.get("/api/v1/me/data-access", headers=driver.headers)).json()
        assert any(
            item["slug"] == "parking" and item["what"] == "wallet.charge" for item in log["items"]
        )

        # The bill is not repaid in time: the wallet is suspended and the barrier stays shut.
        with wallet_time(timedelta(days=30)):
            assert (await wallet(api, driver))["status"] == "suspended"
            refused = await client.post(
                f"{BASE}/gate/entries", json={"plate": plate}, headers=entry.headers
            )
            problem(refused, 402, "wallet_suspended")

            repaid = await client.post(
                "/api/v1/wallet/repayments", json={"amount": owed}, headers=keyed(driver.headers)
            )
            assert repaid.status_code == 200, repaid.text
            assert repaid.json()["status"] == "active"
            again = await client.post(
                f"{BASE}/gate/entries", json={"plate": plate}, headers=entry.headers
            )
            assert again.status_code == 201, again.text

        # A quick stop is free; then the driver unbinds the plate (allowed once it is out).
        clock.advance(minutes=15)
        quick = await client.post(
            f"{BASE}/gate/exits", json={"plate": plate}, headers=keyed(exit_.headers)
        )
        assert (quick.json()["fee_amount"], quick.json()["charge_id"]) == (0, None)
        unbound = await client.delete(f"{BASE}/plates/{quote(plate)}", headers=driver.headers)
        assert unbound.status_code == 204, unbound.text
        stranger = await client.post(
            f"{BASE}/gate/entries", json={"plate": plate}, headers=entry.headers
        )
        problem(stranger, 404, "plate_not_registered")
        history = (await client.get(f"{BASE}/stays", headers=driver.headers)).json()["items"]
        assert [s["fee_amount"] for s in history] == [0, 6800]
