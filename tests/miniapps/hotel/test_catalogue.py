"""The hotel's catalogue: kept by its front desk, listed for everyone."""

from __future__ import annotations

from tests.helpers import Api, problem
from tests.journeys.actors import device
from tests.miniapps.hotel.conftest import BASE, Hotel, add_room, check_in, make_guest, make_hotel


class TestSaveHotel:
    async def test_the_front_desk_sets_up_and_updates_its_hotel(self, api: Api) -> None:
        desk = await device(api, "hotel")
        first = await api.client.put(
            f"{BASE}/hotel", json={"name": "西湖国宾馆", "incidentals": 0}, headers=desk.headers
        )
        assert first.status_code == 200, first.text
        again = await api.client.put(
            f"{BASE}/hotel",
            json={"name": "西湖国宾馆", "incidentals": 50_000},
            headers=desk.headers,
        )
        assert again.json() == {
            "id": first.json()["id"],
            "name": "西湖国宾馆",
            "incidentals": 50_000,
            "room_types": [],
        }

    async def test_bad_input_is_refused(self, api: Api) -> None:
        desk = await device(api, "hotel")
        for body in (
            {"name": "", "incidentals": 0},
            {"name": "酒店", "incidentals": -1},
            {"name": "酒店"},
            {"name": "酒店", "incidentals": 0, "stars": 5},
        ):
            response = await api.client.put(f"{BASE}/hotel", json=body, headers=desk.headers)
            problem(response, 422, "validation_error")
        problem(
            await api.client.get(f"{BASE}/hotel", headers=desk.headers), 404, "hotel_not_set_up"
        )

    async def test_only_a_hotels_front_desk_may(self, api: Api) -> None:
        body = {"name": "酒店", "incidentals": 0}
        citizen = await api.citizen()
        park = await device(api, "park")
        problem(await api.client.put(f"{BASE}/hotel", json=body), 401, "unauthorized")
        as_citizen = await api.client.put(f"{BASE}/hotel", json=body, headers=citizen.headers)
        problem(as_citizen, 403, "forbidden")
        wrong_kind = await api.client.put(f"{BASE}/hotel", json=body, headers=park.headers)
        problem(wrong_kind, 403, "forbidden")


class TestAddRoomType:
    async def test_room_types_are_unique_by_name(self, api: Api, hotel: Hotel) -> None:
        body = {"name": "行政套房", "rate": 88_800}
        added = await api.client.post(
            f"{BASE}/hotel/room-types", json=body, headers=hotel.desk.headers
        )
        assert added.status_code == 201, added.text
        assert added.json()["rate"] == 88_800 and added.json()["rooms"] == 0
        twice = await api.client.post(
            f"{BASE}/hotel/room-types", json=body, headers=hotel.desk.headers
        )
        problem(twice, 409, "conflict")

    async def test_bad_input_and_callers(self, api: Api, hotel: Hotel) -> None:
        url = f"{BASE}/hotel/room-types"
        for body in ({"name": "房", "rate": 0}, {"name": "", "rate": 100}, {"rate": 100}):
            response = await api.client.post(url, json=body, headers=hotel.desk.headers)
            problem(response, 422, "validation_error")
        citizen = await api.citizen()
        as_citizen = await api.client.post(
            url, json={"name": "房", "rate": 1}, headers=citizen.headers
        )
        problem(as_citizen, 403, "forbidden")
        unset = await device(api, "hotel")
        early = await api.client.post(url, json={"name": "房", "rate": 1}, headers=unset.headers)
        problem(early, 404, "hotel_not_set_up")


class TestAddRoom:
    async def test_rooms_are_unique_by_number(self, api: Api, hotel: Hotel) -> None:
        room = await add_room(api, hotel, "1208")
        assert room["stay_id"] is None and room["room_type_id"] == hotel.room_type_id
        twice = await api.client.post(
            f"{BASE}/hotel/rooms",
            json={"room_type_id": hotel.room_type_id, "number": "1208"},
            headers=hotel.desk.headers,
        )
        problem(twice, 409, "conflict")

    async def test_a_room_type_of_another_hotel_is_refused(self, api: Api, hotel: Hotel) -> None:
        other = await make_hotel(api, rooms=0)
        response = await api.client.post(
            f"{BASE}/hotel/rooms",
            json={"room_type_id": other.room_type_id, "number": "101"},
            headers=hotel.desk.headers,
        )
        problem(response, 422, "validation_error")
        for number in ("", "1 01", "x" * 11):
            bad = await api.client.post(
                f"{BASE}/hotel/rooms",
                json={"room_type_id": hotel.room_type_id, "number": number},
                headers=hotel.desk.headers,
            )
            problem(bad, 422, "validation_error")


class TestRooms:
    async def test_the_desk_sees_which_room_holds_which_stay(self, api: Api, hotel: Hotel) -> None:
        guest = await make_guest(api)
        stay = await check_in(api, hotel, guest)
        response = await api.client.get(f"{BASE}/hotel/rooms", headers=hotel.desk.headers)
        assert response.status_code == 200, response.text
        taken = {room["number"]: room["stay_id"] for room in response.json()["items"]}
        assert taken == {"801": stay["id"], "802": None, "803": None}
        page = await api.client.get(
            f"{BASE}/hotel/rooms", params={"limit": 2}, headers=hotel.desk.headers
        )
        rest = await api.client.get(
            f"{BASE}/hotel/rooms",
            params={"limit": 2, "cursor": page.json()["next_cursor"]},
            headers=hotel.desk.headers,
        )
        assert [r["number"] for r in rest.json()["items"]] == ["803"]

    async def test_citizens_cannot(self, api: Api) -> None:
        citizen = await api.citizen()
        problem(
            await api.client.get(f"{BASE}/hotel/rooms", headers=citizen.headers), 403, "forbidden"
        )


class TestListHotels:
    async def test_anyone_sees_rates_and_free_rooms(self, api: Api, hotel: Hotel) -> None:
        guest = await make_guest(api)
        await check_in(api, hotel, guest)
        profile = await api.client.get(f"{BASE}/hotel", headers=hotel.desk.headers)
        [kind] = profile.json()["room_types"]
        assert (kind["rate"], kind["rooms"], kind["free"]) == (hotel.rate, 3, 2)
        listed = await api.client.get(f"{BASE}/hotels", params={"limit": 1})
        assert listed.status_code == 200, listed.text
        assert len(listed.json()["items"]) == 1
        problem(
            await api.client.get(f"{BASE}/hotels", params={"limit": 201}), 422, "validation_error"
        )
