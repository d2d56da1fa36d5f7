"""易租房: a real-name landlord lets a home; a tenant finds it, views it, signs with the
deposit held on credit for the term, pays rent to credit every month through the scheduled
job, and moves out: the hold is voided and the home is back on the market."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.app.portal import in_app
from tests.helpers import Api
from tests.miniapps.rental.people import (
    BASE,
    HOME,
    grant,
    keyed,
    local_today,
    new_region_prefix,
    rental_time,
    set_credit_limit,
    soon,
    wallet,
)


async def run_scheduled_rent_job(api: Api) -> None:
    """The job as the scheduler runs it: registered by the platform, with its app context."""
    from app.jobs import TASKS

    await in_app(api.client, TASKS["miniapps.rental.rent.charge_due_rent"])


async def test_rental_journey(api: Api) -> None:
    client = api.client
    district = new_region_prefix()
    with rental_time() as clock:
        # A landlord proves their real name to the app and lists a flat.
        owner = await api.citizen(name="王房东")
        await grant(api, owner, "identity.realname")
        listed = await client.post(
            f"{BASE}/listings",
            json={
                **HOME,
                "region_code": district + "6",
                "rooms": 2,
                "rent_amount": 420_000,
                "deposit_amount": 840_000,
            },
            headers=owner.headers,
        )
        assert listed.status_code == 201, listed.text
        home: dict[str, Any] = listed.json()
        assert home["landlord_name_masked"] == "王**"

        # A tenant searches the district for two rooms under 5,000 CNY and finds it.
        renter = await api.citizen(name="李租客")
        await set_credit_limit(api, renter, 3_000_000)
        found = await client.get(
            f"{BASE}/listings", params={"district": district, "rooms": 2, "max_rent": 500_000}
        )
        assert [h["id"] for h in found.json()["items"]] == [home["id"]]

        # They book a viewing; the landlord sees who is coming (masked).
        await grant(api, renter, "profile.basic")
        booked = await client.post(
            f"{BASE}/listings/{home['id']}/viewings", json={"at": soon(1)}, headers=renter.headers
        )
        assert booked.status_code == 201, booked.text
        seen = await client.get(f"{BASE}/viewings?role=landlord", headers=owner.headers)
        assert [v["visitor_name_masked"] for v in seen.json()["items"]] == ["李**"]

        # The landlord offers a year from today; the tenant signs, sharing the real name for
        # the register and letting the app hold the deposit on credit.
        offered = await client.post(
            f"{BASE}/leases",
            json={
                "viewing_id": booked.json()["id"],
                "start_date": local_today().isoformat(),
                "months": 12,
            },
            headers=owner.headers,
        )
        assert offered.status_code == 201, offered.text
        lease_id = offered.json()["id"]
        await grant(api, renter, "identity.realname", "wallet.charge")
        signed = await client.post(f"{BASE}/leases/{lease_id}/sign", headers=keyed(renter.headers))
        assert signed.status_code == 200, signed.text
        lease = signed.json()
        assert lease["status"] == "active"
        term_end = datetime.fromisoformat(lease["end_date"] + "T00:00:00+08:00")
        held_until = datetime.fromisoformat(lease["deposit_expires_at"])
        assert timedelta(days=7) <= held_until - term_end < timedelta(days=7, seconds=2)
        assert held_until - datetime.fromisoformat(lease["signed_at"]) <= timedelta(days=400)
        money = await wallet(api, renter)
        assert (money["held"], money["outstanding"]) == (840_000, 0)
        again = await client.get(f"{BASE}/listings", params={"district": district})
        assert again.json()["items"] == [], "a let home leaves the search"

        register = await client.get(f"{BASE}/landlord/register", headers=owner.headers)
        [entry] = register.json()["items"]
        assert (entry["tenant_real_name"], entry["lease_id"]) == ("李租客", lease_id)
        assert renter.id_number not in register.text

        # The scheduler charges the first month's rent, once however often it runs...
        await run_scheduled_rent_job(api)
        await run_scheduled_rent_job(api)
        assert (await wallet(api, renter))["outstanding"] == 420_000
        # ...and the next month's when it falls due.
        clock.advance(days=31)
        await run_scheduled_rent_job(api)
        now = await client.get(f"{BASE}/leases/{lease_id}", headers=renter.headers)
        assert [c["month"] for c in now.json()["rent_charges"]] == [1, 2]
        assert (await wallet(api, renter))["outstanding"] == 840_000

        repaid = await client.post(
            "/api/v1/wallet/repayments", json={"amount": 840_000}, headers=keyed(renter.headers)
        )
        assert repaid.status_code == 200, repaid.text

        # Move-out: the landlord ends the lease, the deposit hold is voided, rent stops.
        ended = await client.post(
            f"{BASE}/leases/{lease_id}/move-out", headers=keyed(owner.headers)
        )
        assert ended.status_code == 200, ended.text
        assert ended.json()["status"] == "ended"
        money = await wallet(api, renter)
        assert (money["held"], money["outstanding"]) == (0, 0)
        clock.advance(days=31)
        await run_scheduled_rent_job(api)
        assert (await wallet(api, renter))["outstanding"] == 0
        back = await client.get(f"{BASE}/listings", params={"district": district})
        assert [h["id"] for h in back.json()["items"]] == [home["id"]]
        kinds = [
            e["kind"]
            for e in (await client.get("/api/v1/wallet/entries", headers=renter.headers)).json()[
                "items"
            ]
            if e["miniapp"] == "rental"
        ]
        assert sorted(kinds) == ["charge", "charge", "hold", "release"]
