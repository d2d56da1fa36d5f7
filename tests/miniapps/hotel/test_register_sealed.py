"""The guest register keeps the real name only sealed, with the hotel app's own key and for
its own line; the front desk's register still shows it. The migration that sealed the names
already kept in clear, run backwards and forwards again."""

from __future__ import annotations

from typing import Any

from miniapps.sdk import Sealer, fetch, fetch_one
from tests.app.portal import in_app
from tests.helpers import Api, Citizen, problem
from tests.journeys.actors import health_code, set_credit_limit
from tests.miniapps.hotel.conftest import BASE, Hotel, check_in
from tests.miniapps.migration_steps import rolled_back, run_step

STEPS = (
    "miniapps.hotel.migrations.hotel_2026_11_29t07_07_06_355214",  # the sealed column
    "miniapps.hotel.migrations.hotel_2026_11_29t07_07_12_385619",  # sealed, clear dropped
)


async def _line(api: Api, stay_id: str) -> dict[str, Any]:
    row = await in_app(
        api.client, fetch_one, "SELECT * FROM hotel_guest_register WHERE stay = {}", stay_id
    )
    assert row is not None
    return row


async def _register(api: Api, hotel: Hotel) -> list[dict[str, Any]]:
    response = await api.client.get(f"{BASE}/hotel/register", headers=hotel.desk.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestSealedRegister:
    async def test_the_table_holds_no_clear_name_and_the_desk_still_reads_it(
        self, api: Api, hotel: Hotel, guest: Citizen
    ) -> None:
        stay = await check_in(api, hotel, guest)
        row = await _line(api, stay["id"])
        assert "real_name" not in row
        assert guest.name not in " ".join(str(value) for value in row.values())
        assert len(row["real_name_sealed"]) <= 255
        opened = Sealer("hotel").unseal(row["real_name_sealed"], f"guest-register:{row['id']}")
        assert opened == guest.name == "欧阳娜娜"
        [line] = await _register(api, hotel)
        assert (line["stay_id"], line["real_name"]) == (stay["id"], guest.name)

    async def test_a_name_copied_to_another_line_does_not_open(
        self, api: Api, hotel: Hotel, guest: Citizen
    ) -> None:
        other = await api.citizen(name="司马相如")
        await health_code(api, other, "green")
        await set_credit_limit(api, other, 300_000)
        first = await check_in(api, hotel, guest)
        second = await check_in(api, hotel, other)
        sealed = (await _line(api, first["id"]))["real_name_sealed"]
        own = (await _line(api, second["id"]))["real_name_sealed"]
        update = "UPDATE hotel_guest_register SET real_name_sealed = {} WHERE stay = {}"
        await in_app(api.client, fetch, update, sealed, second["id"])
        try:
            response = await api.client.get(f"{BASE}/hotel/register", headers=hotel.desk.headers)
            problem(response, 500, "internal_error")
            assert guest.name not in response.text and other.name not in response.text
        finally:  # other tests run the migrations over every line again
            await in_app(api.client, fetch, update, own, second["id"])
        names = {line["real_name"] for line in await _register(api, hotel)}
        assert names == {guest.name, other.name}


def _select(shape: str) -> str:
    """A statement text of its own for each shape of the table: asyncpg keeps a statement's
    plan, and inside a transaction a plan made before a schema change fails, unprepared."""
    return f"SELECT * FROM hotel_guest_register WHERE id = {{}} /* {shape} shape */"


class TestMigration:
    async def test_clear_names_are_sealed_and_the_clear_column_dropped(
        self, api: Api, hotel: Hotel, guest: Citizen
    ) -> None:
        stay = await check_in(api, hotel, guest)
        record_id = (await _line(api, stay["id"]))["id"]

        async def backwards_then_forwards() -> dict[str, Any]:
            for module in reversed(STEPS):
                await run_step(module, backwards=True)
            old = await fetch_one(_select("old"), record_id)
            # The old shape, and a name the old code wrote in clear.
            await fetch(
                "UPDATE hotel_guest_register SET real_name = {} WHERE id = {}",
                "诸葛孔明",
                record_id,
            )
            for module in STEPS:
                await run_step(module)
            return {"old": old, "new": await fetch_one(_select("new"), record_id)}

        seen = await in_app(api.client, rolled_back, backwards_then_forwards)
        old, new = seen["old"], seen["new"]
        assert old["real_name"] == guest.name and "real_name_sealed" not in old
        assert "real_name" not in new
        assert "诸葛孔明" not in " ".join(str(value) for value in new.values())
        assert Sealer("hotel").unseal(new["real_name_sealed"], f"guest-register:{record_id}") == (
            "诸葛孔明"
        )
        # Rolled back: the database is as it was, and the register reads as before.
        assert (await _line(api, stay["id"]))["real_name_sealed"]
        [line] = await _register(api, hotel)
        assert line["real_name"] == guest.name
