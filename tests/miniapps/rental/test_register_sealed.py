"""The tenant register keeps the real name only sealed, with the rental app's own key and for
its own lease; the landlord's register still shows it. The migration that sealed the names
already kept in clear, run backwards and forwards again."""

from __future__ import annotations

from typing import Any

from miniapps.sdk import Sealer, fetch, fetch_one
from tests.app.portal import in_app
from tests.helpers import Api, Citizen, problem
from tests.miniapps.migration_steps import rolled_back, run_step
from tests.miniapps.rental.people import BASE, book, let_home, list_home, offer, sign, tenant

STEPS = (
    "miniapps.rental.migrations.rental_2026_11_29t07_07_07_054233",  # the sealed column
    "miniapps.rental.migrations.rental_2026_11_29t07_07_13_059424",  # sealed, clear dropped
)
SELECT = "SELECT * FROM rental_lease WHERE id = {}"


async def _lease_row(api: Api, lease_id: str) -> dict[str, Any]:
    row = await in_app(api.client, fetch_one, SELECT, lease_id)
    assert row is not None
    return row


async def _register(api: Api, owner: Citizen) -> list[dict[str, Any]]:
    response = await api.client.get(f"{BASE}/landlord/register", headers=owner.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _clear(row: dict[str, Any]) -> str:
    return " ".join(str(value) for value in row.values())


class TestSealedRegister:
    async def test_the_table_holds_no_clear_name_and_the_landlord_still_reads_it(
        self, api: Api
    ) -> None:
        owner, renter, lease = await let_home(api)
        row = await _lease_row(api, lease["id"])
        assert "tenant_real_name" not in row
        assert renter.name not in _clear(row) and renter.id_number not in _clear(row)
        assert len(row["tenant_real_name_sealed"]) <= 255
        opened = Sealer("rental").unseal(
            row["tenant_real_name_sealed"], f"tenant-register:{lease['id']}"
        )
        assert opened == renter.name == "李租客"
        [entry] = await _register(api, owner)
        assert (entry["lease_id"], entry["tenant_real_name"]) == (lease["id"], renter.name)

    async def test_an_offer_not_yet_signed_holds_no_name(
        self, api: Api, owner: Citizen, home: dict[str, Any], renter: Citizen
    ) -> None:
        lease = await offer(api, owner, await book(api, renter, home))
        assert (await _lease_row(api, lease["id"]))["tenant_real_name_sealed"] is None

    async def test_a_name_copied_to_another_lease_does_not_open(self, api: Api) -> None:
        owner, renter, first = await let_home(api)
        other = await tenant(api, name="司马相如")
        second = await offer(api, owner, await book(api, other, await list_home(api, owner)))
        await sign(api, other, second)
        sealed = (await _lease_row(api, first["id"]))["tenant_real_name_sealed"]
        own = (await _lease_row(api, second["id"]))["tenant_real_name_sealed"]
        update = "UPDATE rental_lease SET tenant_real_name_sealed = {} WHERE id = {}"
        await in_app(api.client, fetch, update, sealed, second["id"])
        try:
            response = await api.client.get(f"{BASE}/landlord/register", headers=owner.headers)
            problem(response, 500, "internal_error")
            assert renter.name not in response.text and other.name not in response.text
        finally:  # other tests run the migrations over every lease again
            await in_app(api.client, fetch, update, own, second["id"])
        names = {entry["tenant_real_name"] for entry in await _register(api, owner)}
        assert names == {renter.name, other.name}


def _select(shape: str) -> str:
    """A statement text of its own for each shape of the table: asyncpg keeps a statement's
    plan, and inside a transaction a plan made before a schema change fails, unprepared."""
    return f"SELECT * FROM rental_lease WHERE id = {{}} /* {shape} shape */"


class TestMigration:
    async def test_clear_names_are_sealed_and_the_clear_column_dropped(
        self, api: Api, owner: Citizen, home: dict[str, Any], renter: Citizen
    ) -> None:
        landlord, tenant_, signed = await let_home(api)
        unsigned = await offer(api, owner, await book(api, renter, home))

        async def backwards_then_forwards() -> dict[str, Any]:
            for module in reversed(STEPS):
                await run_step(module, backwards=True)
            old = await fetch_one(_select("old"), signed["id"])
            old_unsigned = await fetch_one(_select("old"), unsigned["id"])
            # The old shape, and a name the old code wrote in clear.
            await fetch(
                "UPDATE rental_lease SET tenant_real_name = {} WHERE id = {}",
                "诸葛孔明",
                signed["id"],
            )
            for module in STEPS:
                await run_step(module)
            return {
                "old": old,
                "old_unsigned": old_unsigned,
                "new": await fetch_one(_select("new"), signed["id"]),
                "new_unsigned": await fetch_one(_select("new"), unsigned["id"]),
            }

        seen = await in_app(api.client, rolled_back, backwards_then_forwards)
        old, new = seen["old"], seen["new"]
        assert old["tenant_real_name"] == tenant_.name and "tenant_real_name_sealed" not in old
        assert seen["old_unsigned"]["tenant_real_name"] is None
        assert "tenant_real_name" not in new and "诸葛孔明" not in _clear(new)
        opened = Sealer("rental").unseal(
            new["tenant_real_name_sealed"], f"tenant-register:{signed['id']}"
        )
        assert opened == "诸葛孔明"
        assert seen["new_unsigned"]["tenant_real_name_sealed"] is None
        # Rolled back: the database is as it was, and the register reads as before.
        [entry] = await _register(api, landlord)
        assert entry["tenant_real_name"] == tenant_.name
