"""Journey: a day at the park, from opening the slots to the 20-second entry.

The park's turnstile sets the ticket price and opens today's slots; a citizen sees the slots,
reserves a place, and at the gate shows their code: green, their reservation for now, the
ticket charged to credit, the entry recorded. A friend without a reservation walks in while
places remain; a visitor whose code turned yellow is turned away without being charged.
"""

from __future__ import annotations

from tests.helpers import Api, problem
from tests.journeys.actors import device, fresh_code, health_code, keyed, wallet
from tests.miniapps.park.conftest import BASE, add_slot


async def test_twenty_second_entry(api: Api) -> None:
    turnstile = await device(api, "park")
    saved = await api.client.put(
        f"{BASE}/park", json={"name": "西溪湿地", "ticket": 8_000}, headers=turnstile.headers
    )
    assert saved.status_code == 200, saved.text
    park_id = saved.json()["id"]
    morning = await add_slot(api, turnstile, -30, 90, 2)
    await add_slot(api, turnstile, 150, 270, 200)

    visitor = await api.citizen(name="陈静")
    friend = await api.citizen(name="林峰")
    unwell = await api.citizen(name="赵六")
    for person, colour in ((visitor, "green"), (friend, "green"), (unwell, "yellow")):
        await health_code(api, person, colour)

    slots = await api.client.get(f"{BASE}/parks/{park_id}/slots")
    assert morning["id"] in [s["id"] for s in slots.json()]
    booked = await api.client.post(
        f"{BASE}/reservations", json={"slot_id": morning["id"]}, headers=visitor.headers
    )
    assert booked.status_code == 201, booked.text

    entered = await api.client.post(
        f"{BASE}/entries",
        json={"code": await fresh_code(api, visitor)},
        headers=keyed(turnstile.headers),
    )
    assert entered.status_code == 201, entered.text
    assert entered.json()["reservation_id"] == booked.json()["id"]
    assert (await wallet(api, visitor))["outstanding"] == 8_000

    walk_in = await api.client.post(
        f"{BASE}/entries",
        json={"code": await fresh_code(api, friend)},
        headers=keyed(turnstile.headers),
    )
    assert walk_in.status_code == 201, walk_in.text
    assert walk_in.json()["walk_in"] is True

    turned_away = await api.client.post(
        f"{BASE}/entries",
        json={"code": await fresh_code(api, unwell)},
        headers=keyed(turnstile.headers),
    )
    problem(turned_away, 403, "colour_not_green")
    assert (await wallet(api, unwell))["outstanding"] == 0

    log = await api.client.get(f"{BASE}/park/entries", headers=turnstile.headers)
    assert [e["walk_in"] for e in log.json()["items"]] == [True, False]
    now_slot = next(
        s
        for s in (await api.client.get(f"{BASE}/parks/{park_id}/slots")).json()
        if s["id"] == morning["id"]
    )
    assert now_slot["remaining"] == 0
    mine = await api.client.get(f"{BASE}/reservations", headers=visitor.headers)
    assert mine.json()["items"][0]["status"] == "entered"
