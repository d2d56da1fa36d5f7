"""Leases: offered by the landlord, signed by the tenant with the deposit held on credit for
the term, ended at move-out with the hold voided; and the landlord's tenant register."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.helpers import Api, Citizen, problem
from tests.miniapps.rental.people import (
    BASE,
    RentalClock,
    book,
    grant,
    keyed,
    landlord,
    let_home,
    list_home,
    local_today,
    offer,
    sign,
    tenant,
    wallet,
)


async def offered(
    api: Api, owner: Citizen, home: dict[str, Any], renter: Citizen, months: int = 12
) -> dict[str, Any]:
    return await offer(api, owner, await book(api, renter, home), months)


class TestOffer:
    async def test_the_landlord_offers_a_lease_to_a_visitor(
        self, api: Api, owner: Citizen, home: dict[str, Any], renter: Citizen
    ) -> None:
        viewing = await book(api, renter, home)
        start = local_today() + timedelta(days=3)
        response = await api.client.post(
            f"{BASE}/leases",
            json={"viewing_id": viewing["id"], "start_date": start.isoformat(), "months": 6},
            headers=owner.headers,
        )
        assert response.status_code == 201, response.text
        lease = response.json()
        assert lease["status"] == "offered"
        assert (lease["start_date"], lease["months"]) == (start.isoformat(), 6)
        assert lease["end_date"] > lease["start_date"]
        assert (lease["rent_amount"], lease["deposit_amount"]) == (
            home["rent_amount"],
            home["deposit_amount"],
        )
        assert lease["deposit_hold_id"] is None and lease["rent_charges"] == []
        mine = await api.client.get(f"{BASE}/leases", headers=renter.headers)
        assert [item["id"] for item in mine.json()["items"]] == [lease["id"]]

    async def test_only_the_homes_landlord(
        self, api: Api, home: dict[str, Any], renter: Citizen
    ) -> None:
        viewing = await book(api, renter, home)
        other = await landlord(api)
        response = await api.client.post(
            f"{BASE}/leases",
            json={
                "viewing_id": viewing["id"],
                "start_date": local_today().isoformat(),
                "months": 12,
            },
            headers=other.headers,
        )
        problem(response, 404, "not_found")

    async def test_not_for_a_cancelled_viewing(
        self, api: Api, owner: Citizen, home: dict[str, Any], renter: Citizen
    ) -> None:
        viewing = await book(api, renter, home)
        await api.client.post(f"{BASE}/viewings/{viewing['id']}/cancel", headers=renter.headers)
        response = await api.client.post(
            f"{BASE}/leases",
            json={
                "viewing_id": viewing["id"],
                "start_date": local_today().isoformat(),
                "months": 12,
            },
            headers=owner.headers,
        )
        problem(response, 409, "viewing_not_booked")

    @pytest.mark.parametrize(
        ("start_in_days", "months", "field"),
        [(-1, 12, "start_date"), (15, 12, "start_date"), (0, 13, "months"), (0, 0, "months")],
    )
    async def test_terms_that_do_not_fit_a_credit_deposit(
        self,
        api: Api,
        owner: Citizen,
        home: dict[str, Any],
        renter: Citizen,
        start_in_days: int,
        months: int,
        field: str,
    ) -> None:
        viewing = await book(api, renter, home)
        start = local_today() + timedelta(days=start_in_days)
        response = await api.client.post(
            f"{BASE}/leases",
            json={"viewing_id": viewing["id"], "start_date": start.isoformat(), "months": months},
            headers=owner.headers,
        )
        body = problem(response, 422, "validation_error")
        assert field in str(body.get("errors")) + body["detail"]

    async def test_refused_callers(self, api: Api) -> None:
        body = {"viewing_id": "x", "start_date": local_today().isoformat(), "months": 1}
        problem(await api.client.post(f"{BASE}/leases", json=body), 401, "unauthorized")
        gate = await api.gate("other")
        problem(
            await api.client.post(f"{BASE}/leases", json=body, headers=gate.headers),
            403,
            "forbidden",
        )


class TestSign:
    async def test_the_deposit_is_held_on_credit_for_the_term(
        self, api: Api, owner: Citizen, home: dict[str, Any], renter: Citizen
    ) -> None:
        lease = await offered(api, owner, home, renter)
        before = await wallet(api, renter)
        signed = await sign(api, renter, lease)
        assert signed["status"] == "active"
        assert signed["deposit_hold_id"]
        assert signed["next_rent_due_on"] == signed["start_date"]
        expires = datetime.fromisoformat(signed["deposit_expires_at"])
        end = datetime.fromisoformat(signed["end_date"] + "T00:00:00+08:00")
        assert abs(expires - (end + timedelta(days=7))) < timedelta(seconds=2)
        after = await wallet(api, renter)
        assert after["held"] == before["held"] + home["deposit_amount"]
        assert after["outstanding"] == before["outstanding"], "no rent before the job runs"
        listing = await api.client.get(f"{BASE}/listings/{home['id']}")
        assert listing.json()["status"] == "leased"

    async def test_a_retry_replays_and_holds_once(
        self, api: Api, owner: Citizen, home: dict[str, Any], renter: Citizen
    ) -> None:
        lease = await offered(api, owner, home, renter)
        headers = keyed(renter.headers)
        first = await api.client.post(f"{BASE}/leases/{lease['id']}/sign", headers=headers)
        again = await api.client.post(f"{BASE}/leases/{lease['id']}/sign", headers=headers)
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.json() == first.json()
        assert (await wallet(api, renter))["held"] == home["deposit_amount"]
        fresh = await api.client.post(
            f"{BASE}/leases/{lease['id']}/sign", headers=keyed(renter.headers)
        )
        problem(fresh, 409, "lease_not_offered")

    async def test_not_enough_credit_leaves_nothing_behind(
        self, api: Api, owner: Citizen, home: dict[str, Any]
    ) -> None:
        poor = await tenant(api, credit_limit=100_000)
        lease = await offered(api, owner, home, poor)
        response = await api.client.post(
            f"{BASE}/leases/{lease['id']}/sign", headers=keyed(poor.headers)
        )
        problem(response, 402, "credit_limit_exceeded")
        assert (await api.client.get(f"{BASE}/listings/{home['id']}")).json()["status"] == "listed"
        still = await api.client.get(f"{BASE}/leases/{lease['id']}", headers=poor.headers)
        assert still.json()["status"] == "offered"
        register = await api.client.get(f"{BASE}/landlord/register", headers=owner.headers)
        assert register.json()["items"] == []

    async def test_without_the_wallet_scope(
        self, api: Api, owner: Citizen, home: dict[str, Any]
    ) -> None:
        visitor = await api.citizen()
        await grant(api, visitor, "profile.basic", "identity.realname")
        lease = await offered(api, owner, home, visitor)
        response = await api.client.post(
            f"{BASE}/leases/{lease['id']}/sign", headers=keyed(visitor.headers)
        )
        problem(response, 403, "scope_required")
        assert (await api.client.get(f"{BASE}/listings/{home['id']}")).json()["status"] == "listed"

    async def test_without_sharing_the_real_name(
        self, api: Api, owner: Citizen, home: dict[str, Any]
    ) -> None:
        visitor = await api.citizen()
        await grant(api, visitor, "profile.basic", "wallet.charge")
        lease = await offered(api, owner, home, visitor)
        response = await api.client.post(
            f"{BASE}/leases/{lease['id']}/sign", headers=keyed(visitor.headers)
        )
        problem(response, 403, "scope_required")

    async def test_the_first_tenant_to_sign_gets_the_home(
        self, api: Api, owner: Citizen, home: dict[str, Any], renter: Citizen
    ) -> None:
        first = await offered(api, owner, home, renter)
        rival = await tenant(api, name="赵六")
        second = await offered(api, owner, home, rival)
        await sign(api, renter, first)
        response = await api.client.post(
            f"{BASE}/leases/{second['id']}/sign", headers=keyed(rival.headers)
        )
        problem(response, 409, "listing_unavailable")
        assert (await wallet(api, rival))["held"] == 0

    async def test_an_offer_whose_start_has_passed(
        self,
        api: Api,
        owner: Citizen,
        home: dict[str, Any],
        renter: Citizen,
        clock: RentalClock,
    ) -> None:
        lease = await offered(api, owner, home, renter)
        clock.advance(days=1)
        response = await api.client.post(
            f"{BASE}/leases/{lease['id']}/sign", headers=keyed(renter.headers)
        )
        problem(response, 409, "offer_expired")

    async def test_no_deposit_no_hold(self, api: Api, owner: Citizen, renter: Citizen) -> None:
        home = await list_home(api, owner, deposit_amount=0)
        signed = await sign(api, renter, await offered(api, owner, home, renter))
        assert signed["deposit_hold_id"] is None
        assert (await wallet(api, renter))["held"] == 0

    async def test_only_the_tenant_signs(
        self, api: Api, owner: Citizen, home: dict[str, Any], renter: Citizen
    ) -> None:
        lease = await offered(api, owner, home, renter)
        response = await api.client.post(
            f"{BASE}/leases/{lease['id']}/sign", headers=keyed(owner.headers)
        )
        problem(response, 404, "not_found")
        problem(
            await api.client.post(f"{BASE}/leases/{lease['id']}/sign", headers=keyed({})),
            401,
            "unauthorized",
        )

    async def test_an_idempotency_key_is_required(
        self, api: Api, owner: Citizen, home: dict[str, Any], renter: Citizen
    ) -> None:
        lease = await offered(api, owner, home, renter)
        response = await api.client.post(
            f"{BASE}/leases/{lease['id']}/sign", headers=renter.headers
        )
        problem(response, 422, "idempotency_key_required")


class TestMoveOut:
    async def test_move_out_voids_the_deposit_hold(self, api: Api) -> None:
        owner, renter, lease = await let_home(api)
        assert (await wallet(api, renter))["held"] == lease["deposit_amount"]
        response = await api.client.post(
            f"{BASE}/leases/{lease['id']}/move-out", headers=owner.headers
        )
        assert response.status_code == 200, response.text
        ended = response.json()
        assert ended["status"] == "ended" and ended["ended_at"]
        assert ended["next_rent_due_on"] is None
        assert (await wallet(api, renter))["held"] == 0
        listing = await api.client.get(f"{BASE}/listings/{lease['listing_id']}")
        assert listing.json()["status"] == "listed"
        again = await api.client.post(
            f"{BASE}/leases/{lease['id']}/move-out", headers=owner.headers
        )
        problem(again, 409, "lease_not_active")

    async def test_even_after_the_tenant_revoked_the_grant(self, api: Api) -> None:
        owner, renter, lease = await let_home(api)
        revoked = await api.client.delete("/api/v1/me/grants/rental", headers=renter.headers)
        assert revoked.status_code == 204
        response = await api.client.post(
            f"{BASE}/leases/{lease['id']}/move-out", headers=keyed(owner.headers)
        )
        assert response.status_code == 200, response.text
        assert (await wallet(api, renter))["held"] == 0

    async def test_only_the_landlord(self, api: Api) -> None:
        _, renter, lease = await let_home(api)
        response = await api.client.post(
            f"{BASE}/leases/{lease['id']}/move-out", headers=renter.headers
        )
        problem(response, 404, "not_found")
        problem(await api.client.post(f"{BASE}/leases/{lease['id']}/move-out"), 401, "unauthorized")


class TestLeases:
    async def test_both_sides_read_the_lease(self, api: Api) -> None:
        owner, renter, lease = await let_home(api)
        for who in (owner, renter):
            response = await api.client.get(f"{BASE}/leases/{lease['id']}", headers=who.headers)
            assert response.json() == lease
        stranger = await tenant(api)
        problem(
            await api.client.get(f"{BASE}/leases/{lease['id']}", headers=stranger.headers),
            404,
            "not_found",
        )

    async def test_the_landlords_leases_page_by_page(
        self, api: Api, owner: Citizen, renter: Citizen
    ) -> None:
        leases = [await offered(api, owner, await list_home(api, owner), renter) for _ in range(3)]
        first = await api.client.get(
            f"{BASE}/leases", params={"role": "landlord", "limit": 2}, headers=owner.headers
        )
        rest = await api.client.get(
            f"{BASE}/leases",
            params={"role": "landlord", "cursor": first.json()["next_cursor"]},
            headers=owner.headers,
        )
        seen = [item["id"] for item in first.json()["items"] + rest.json()["items"]]
        assert seen == [lease["id"] for lease in reversed(leases)]

    async def test_no_token(self, api: Api) -> None:
        problem(await api.client.get(f"{BASE}/leases"), 401, "unauthorized")


class TestRegister:
    async def test_the_landlord_registers_the_tenants_real_name(self, api: Api) -> None:
        owner, renter, lease = await let_home(api)
        response = await api.client.get(f"{BASE}/landlord/register", headers=owner.headers)
        assert response.status_code == 200, response.text
        [entry] = response.json()["items"]
        assert entry["lease_id"] == lease["id"]
        assert entry["tenant_real_name"] == "李租客"
        assert len(entry["tenant_id_hash"]) >= 32
        assert renter.id_number not in response.text
        assert entry["address"].startswith("杭州市")
        assert (await api.client.get(f"{BASE}/landlord/register", headers=renter.headers)).json()[
            "items"
        ] == []

    async def test_no_token(self, api: Api) -> None:
        problem(await api.client.get(f"{BASE}/landlord/register"), 401, "unauthorized")
